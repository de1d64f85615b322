// Binding of libtorch's c10d (TCPStore + ProcessGroupGloo) for dev.qvgen.layers.dist.C10dNative.
//
// Every collective here is c10d's own: this file only owns the c10d objects (the intrusive_ptrs
// that JavaCPP's preset could not keep alive, see bench/dist-probe), wraps memory in at::Tensors,
// waits on c10d's Work and turns C++ exceptions into Java exceptions.
//
// One file, three builds (build.sh):
//  QVGEN_CORE  the c10d part with a C interface, linked against Debian's libtorch 1.13
//              (libqvgen_c10d_core.so). Host memory only: no tensor crosses to DJL's libtorch.
//  QVGEN_SHIM  the JNI library the JVM loads (libqvgen_c10d.so). It links no libtorch: it loads
//              the core with dlmopen(LM_ID_NEWLM), in a link namespace of its own. A plain dlopen
//              aborts the JVM: c10::Dispatcher::singleton()::s is an STB_GNU_UNIQUE symbol in
//              both libtorch_cpu.so builds, glibc binds such symbols once per namespace whatever
//              RTLD_LOCAL and the SONAMEs say, so Debian's 1.13 would register its kernels into
//              DJL's 2.7.1 dispatcher ("Tried to register multiple backend fallbacks for the same
//              dispatch key Batched"). In its own namespace it has its own dispatcher, libstdc++
//              and OpenMP runtime, and only C types cross.
//  QVGEN_SAME_LIBTORCH  core and JNI in one library built against the very libtorch DJL's JNI is
//              built against (the GPU machine's torch, with NCCL, bench/gpu/device_setup.sh).
//              DJL's PtNDArray.getHandle() is then a torch::Tensor* of that libtorch, and the
//              *Tensor entry points take it directly: no copy, device memory included.
#if defined(QVGEN_SAME_LIBTORCH)
#define QVGEN_CORE 1
#define QVGEN_JNI 1
#elif defined(QVGEN_SHIM)
#define QVGEN_JNI 1
#elif !defined(QVGEN_CORE)
#error "build with one of -DQVGEN_CORE, -DQVGEN_SHIM, -DQVGEN_SAME_LIBTORCH (see build.sh)"
#endif

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

// The C interface between the JNI part and the c10d part. Each returns 0, or 1 with a message in
// err (no exception may cross: in the shim build the two sides have different libstdc++ copies).
extern "C" {
// host: the store's numeric address; device: this rank's numeric address for gloo's transport, or
// "if:NAME" for a network interface
typedef int (*qvgen_open_fn)(const char* host, const char* device, int port, int rank, int world, long long timeoutMs,
    void** group, char* err, size_t errSize);
typedef int (*qvgen_close_fn)(void* group, char* err, size_t errSize);
// op: 0 allreduce-sum, 1 reduce-sum to root, 2 broadcast from root; dtype: 0 float32, 1 float64
typedef int (*qvgen_collective_fn)(void* group, int op, void* data, long long count, int dtype, int root, char* err,
    size_t errSize);
typedef int (*qvgen_barrier_fn)(void* group, char* err, size_t errSize);
typedef const char* (*qvgen_version_fn)();
}

#ifdef QVGEN_CORE
#include <ATen/ATen.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/version.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

// What a handle points at: the store must outlive the process group that talks through it.
struct Group {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};

Group* group(void* handle) {
  if (handle == nullptr) {
    throw std::invalid_argument("process group is closed");
  }
  return static_cast<Group*>(handle);
}

template <typename F>
int guarded(char* err, size_t errSize, F f) {
  try {
    f();
    return 0;
  } catch (const c10::Error& e) {
    std::snprintf(err, errSize, "%s", e.what_without_backtrace());
  } catch (const std::exception& e) {
    std::snprintf(err, errSize, "%s", e.what());
  } catch (...) {
    std::snprintf(err, errSize, "unknown C++ exception");
  }
  return 1;
}

void run(Group* g, int op, at::Tensor t, int root) {
  std::vector<at::Tensor> ts{std::move(t)};
  c10::intrusive_ptr<c10d::Work> work;
  if (op == 0) {
    work = g->gloo->allreduce(ts, c10d::AllreduceOptions{});
  } else if (op == 1) {
    c10d::ReduceOptions o;
    o.rootRank = root;
    work = g->gloo->reduce(ts, o);
  } else if (op == 2) {
    c10d::BroadcastOptions o;
    o.rootRank = root;
    work = g->gloo->broadcast(ts, o);
  } else {
    throw std::invalid_argument("unknown collective " + std::to_string(op));
  }
  work->wait();
}

}  // namespace

extern "C" {

__attribute__((visibility("default"))) const char* qvgen_c10d_version() {
  static const std::string v = std::string("libtorch ") + TORCH_VERSION + " c10d gloo, "
#ifdef QVGEN_SAME_LIBTORCH
      + "same-libtorch";
#else
      + "own link namespace";
#endif
  return v.c_str();
}

__attribute__((visibility("default"))) int qvgen_c10d_open(const char* host, const char* device, int port, int rank,
    int world, long long timeoutMs, void** out, char* err, size_t errSize) {
  return guarded(err, errSize, [&] {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    so.isServer = rank == 0;
    so.numWorkers = static_cast<std::size_t>(world);
    so.waitWorkers = true;
    so.timeout = std::chrono::milliseconds(timeoutMs);
    auto store = c10::make_intrusive<c10d::TCPStore>(std::string(host), so);
    auto options = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(timeoutMs));
    // Numeric addresses only (Java resolves names): in the shim build this libc is a second copy
    // in its own namespace, and its NSS (getaddrinfo of a name, as createDefaultDevice does with
    // the host name) crashed the JVM in __nss_readline.
    std::string dev(device);
    options->devices.push_back(dev.rfind("if:", 0) == 0
        ? c10d::ProcessGroupGloo::createDeviceForInterface(dev.substr(3))
        : c10d::ProcessGroupGloo::createDeviceForHostname(dev));
    auto gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
    *out = new Group{store, gloo};
  });
}

__attribute__((visibility("default"))) int qvgen_c10d_close(void* handle, char* err, size_t errSize) {
  return guarded(err, errSize, [&] { delete group(handle); });
}

__attribute__((visibility("default"))) int qvgen_c10d_collective(void* handle, int op, void* data, long long count,
    int dtype, int root, char* err, size_t errSize) {
  return guarded(err, errSize, [&] {
    if (dtype != 0 && dtype != 1) {
      throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
    }
    at::ScalarType type = dtype == 0 ? at::kFloat : at::kDouble;
    run(group(handle), op, at::from_blob(data, {count}, at::TensorOptions().dtype(type).device(at::kCPU)), root);
  });
}

__attribute__((visibility("default"))) int qvgen_c10d_barrier(void* handle, char* err, size_t errSize) {
  return guarded(err, errSize, [&] { group(handle)->gloo->barrier(c10d::BarrierOptions{})->wait(); });
}

#ifdef QVGEN_SAME_LIBTORCH
// DJL's PtNDArray.getHandle(): a heap torch::Tensor* of this same libtorch.
int qvgen_c10d_collective_tensor(void* handle, int op, void* tensor, int root, char* err, size_t errSize) {
  return guarded(err, errSize, [&] {
    if (tensor == nullptr) {
      throw std::invalid_argument("null tensor handle");
    }
    run(group(handle), op, *static_cast<at::Tensor*>(tensor), root);
  });
}
#endif

}  // extern "C"
#endif  // QVGEN_CORE

#ifdef QVGEN_JNI
#include <jni.h>
#ifdef QVGEN_SHIM
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>

#include <algorithm>
#include <string>
#include <vector>
#endif

namespace {

struct Core {
  qvgen_open_fn open;
  qvgen_close_fn close;
  qvgen_collective_fn collective;
  qvgen_barrier_fn barrier;
  qvgen_version_fn version;
};

void throwJava(JNIEnv* env, const char* what) {
  jclass cls = env->FindClass("java/lang/IllegalStateException");
  if (cls != nullptr) {
    env->ThrowNew(cls, what);
  }
}

#ifdef QVGEN_SHIM
struct Loaded {
  Core core{};
  std::string failure;
};

// pthread keys are indices into a table of the libc that made them, but the per-thread values
// live in the thread descriptor that every libc copy shares. A second libc in another namespace
// therefore hands out indices the first one already uses, and one side reads (or, at thread
// exit, destroys) the other's values. So the two tables are made disjoint among the first 32
// indices (the block held inline in the descriptor; higher ones are malloc'ed by whichever libc
// comes first and freed by the main one): the main libc keeps every index it has free now
// (reserved, without destructor, never used by it again), the core's libc gets exactly those.
typedef int (*key_create_fn)(pthread_key_t*, void (*)(void*));
typedef int (*key_delete_fn)(pthread_key_t);

bool partitionKeys(key_create_fn create2, key_delete_fn delete2, std::string& failure, std::vector<int>& theirs) {
  std::vector<pthread_key_t> above;
  for (;;) {
    pthread_key_t k;
    if (pthread_key_create(&k, nullptr) != 0) {
      break;
    }
    if (k >= 32) {
      above.push_back(k);
      break;
    }
    theirs.push_back(static_cast<int>(k));  // reserved in the main table for good
  }
  for (pthread_key_t k : above) {
    pthread_key_delete(k);
  }
  if (theirs.size() < 16) {
    failure = "only " + std::to_string(theirs.size()) + " of the first 32 pthread keys are free in this process";
    return false;
  }
  for (int i = 0; i < 32; i++) {
    pthread_key_t k;
    if (create2(&k, nullptr) != 0 || k >= 32) {
      failure = "the core namespace's libc gave an unexpected pthread key";
      return false;
    }
    bool free = std::find(theirs.begin(), theirs.end(), static_cast<int>(k)) != theirs.end();
    if (free) {
      delete2(k);  // left for the core's own keys
    }
  }
  return true;
}

// The core beside this library, loaded into a fresh link namespace: that namespace's libc first
// (to partition the keys), then the serial OpenMP stand-in under libgomp.so.1's name, then the core.
Loaded loadCore() {
  Loaded l;
  Dl_info self;
  std::string dir = ".";
  if (dladdr(reinterpret_cast<void*>(&throwJava), &self) != 0 && self.dli_fname != nullptr) {
    dir = self.dli_fname;
    dir = dir.substr(0, dir.find_last_of('/'));
  }
  void* libc = dlmopen(LM_ID_NEWLM, "libc.so.6", RTLD_NOW | RTLD_LOCAL);
  Lmid_t ns = 0;
  if (libc == nullptr || dlinfo(libc, RTLD_DI_LMID, &ns) != 0) {
    l.failure = std::string("cannot open a link namespace for the c10d core: ") + dlerror();
    return l;
  }
  auto create2 = reinterpret_cast<key_create_fn>(dlsym(libc, "pthread_key_create"));
  auto delete2 = reinterpret_cast<key_delete_fn>(dlsym(libc, "pthread_key_delete"));
  std::vector<int> theirs;
  if (!create2 || !delete2 || !partitionKeys(create2, delete2, l.failure, theirs)) {
    l.failure = "c10d core namespace: " + (l.failure.empty() ? std::string("no pthread_key_create") : l.failure);
    return l;
  }
  for (const char* lib : {"libqvgen_serial_gomp.so", "libqvgen_c10d_core.so"}) {
    std::string path = dir + "/" + lib;
    void* h = dlmopen(ns, path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      l.failure = std::string("cannot load ") + path + " into its own link namespace: " + dlerror();
      return l;
    }
    if (std::string(lib) != "libqvgen_c10d_core.so") {
      continue;
    }
    Core& c = l.core;
    c.open = reinterpret_cast<qvgen_open_fn>(dlsym(h, "qvgen_c10d_open"));
    c.close = reinterpret_cast<qvgen_close_fn>(dlsym(h, "qvgen_c10d_close"));
    c.collective = reinterpret_cast<qvgen_collective_fn>(dlsym(h, "qvgen_c10d_collective"));
    c.barrier = reinterpret_cast<qvgen_barrier_fn>(dlsym(h, "qvgen_c10d_barrier"));
    c.version = reinterpret_cast<qvgen_version_fn>(dlsym(h, "qvgen_c10d_version"));
    if (!c.open || !c.close || !c.collective || !c.barrier || !c.version) {
      l.failure = path + " lacks the qvgen_c10d_* entry points (stale build? run build.sh)";
      return l;
    }
  }
  // the core's libraries made their keys while loading; some room must be left for later ones
  pthread_key_t probe;
  if (create2(&probe, nullptr) != 0 || std::find(theirs.begin(), theirs.end(), static_cast<int>(probe)) == theirs.end()) {
    l.failure = "the c10d core used up its share of pthread keys while loading";
    return l;
  }
  delete2(probe);
  return l;
}

const Core* core(JNIEnv* env) {
  // a function-local static: initialised once, thread-safely, whichever rank thread comes first
  static const Loaded loaded = loadCore();
  if (!loaded.failure.empty()) {
    throwJava(env, loaded.failure.c_str());
    return nullptr;
  }
  return &loaded.core;
}
#else
const Core* core(JNIEnv*) {
  static const Core c{qvgen_c10d_open, qvgen_c10d_close, qvgen_c10d_collective, qvgen_c10d_barrier,
      qvgen_c10d_version};
  return &c;
}
#endif

// Raises the core's message as a Java exception when rc says it failed.
void check(JNIEnv* env, int rc, const char* err) {
  if (rc != 0) {
    throwJava(env, (std::string("c10d: ") + err).c_str());
  }
}

void hostCollective(JNIEnv* env, jlong handle, int op, jobject buffer, jlong count, jint dtype, jint root) {
  const Core* c = core(env);
  if (c == nullptr) {
    return;
  }
  void* data = env->GetDirectBufferAddress(buffer);
  jlong capacity = env->GetDirectBufferCapacity(buffer);
  if (data == nullptr || capacity < count * (dtype == 1 ? 8 : 4)) {
    throwJava(env, "c10d: not a direct buffer holding the elements");
    return;
  }
  char err[2048] = {0};
  check(env, c->collective(reinterpret_cast<void*>(handle), op, data, count, dtype, root, err, sizeof err), err);
}

}  // namespace

extern "C" {

JNIEXPORT jstring JNICALL Java_dev_qvgen_layers_dist_C10dNative_version(JNIEnv* env, jclass) {
  const Core* c = core(env);
  return c == nullptr ? nullptr : env->NewStringUTF(c->version());
}

static std::string utf(JNIEnv* env, jstring s) {
  const char* chars = env->GetStringUTFChars(s, nullptr);
  std::string out(chars);
  env->ReleaseStringUTFChars(s, chars);
  return out;
}

JNIEXPORT jlong JNICALL Java_dev_qvgen_layers_dist_C10dNative_open(JNIEnv* env, jclass, jstring host, jstring device,
    jint port, jint rank, jint world, jlong timeoutMs) {
  const Core* c = core(env);
  if (c == nullptr) {
    return 0;
  }
  std::string h = utf(env, host);
  std::string d = utf(env, device);
  void* group = nullptr;
  char err[2048] = {0};
  int rc = c->open(h.c_str(), d.c_str(), port, rank, world, timeoutMs, &group, err, sizeof err);
  check(env, rc, err);
  return rc == 0 ? reinterpret_cast<jlong>(group) : 0;
}

JNIEXPORT void JNICALL Java_dev_qvgen_layers_dist_C10dNative_close(JNIEnv* env, jclass, jlong handle) {
  const Core* c = core(env);
  char err[2048] = {0};
  if (c != nullptr) {
    check(env, c->close(reinterpret_cast<void*>(handle), err, sizeof err), err);
  }
}

JNIEXPORT void JNICALL Java_dev_qvgen_layers_dist_C10dNative_allReduceSum(JNIEnv* env, jclass, jlong handle,
    jobject buffer, jlong count, jint dtype) {
  hostCollective(env, handle, 0, buffer, count, dtype, 0);
}

JNIEXPORT void JNICALL Java_dev_qvgen_layers_dist_C10dNative_reduceSum(JNIEnv* env, jclass, jlong handle,
    jobject buffer, jlong count, jint dtype, jint root) {
  hostCollective(env, handle, 1, buffer, count, dtype, root);
}

JNIEXPORT void JNICALL Java_dev_qvgen_layers_dist_C10dNative_broadcast(JNIEnv* env, jclass, jlong handle,
    jobject buffer, jlong count, jint dtype, jint root) {
  hostCollective(env, handle, 2, buffer, count, dtype, root);
}

JNIEXPORT void JNICALL Java_dev_qvgen_layers_dist_C10dNative_barrier(JNIEnv* env, jclass, jlong handle) {
  const Core* c = core(env);
  char err[2048] = {0};
  if (c != nullptr) {
    check(env, c->barrier(reinterpret_cast<void*>(handle), err, sizeof err), err);
  }
}

#ifdef QVGEN_SAME_LIBTORCH
// op as above; tensor: DJL's PtNDArray.getHandle() (not run yet: no multi-GPU machine, docs/SCALE-OUT.md)
JNIEXPORT void JNICALL Java_dev_qvgen_layers_dist_C10dNative_collectiveTensor(JNIEnv* env, jclass, jlong handle,
    jint op, jlong tensor, jint root) {
  char err[2048] = {0};
  check(env, qvgen_c10d_collective_tensor(reinterpret_cast<void*>(handle), op, reinterpret_cast<void*>(tensor), root,
      err, sizeof err), err);
}
#endif

}  // extern "C"
#endif  // QVGEN_JNI
