// A serial stand-in for libgomp.so.1 inside the c10d core's link namespace (see qvgen_c10d.cpp):
// the symbols Debian's libtorch 1.13, oneDNN and soxr import, with one thread per parallel region.
// The core only wraps host buffers and runs gloo's collectives (gloo's own threads); nothing in it
// needs OpenMP, and a real libgomp there would create pthread keys in that namespace's libc and,
// at thread exit, have DJL's libgomp destructor run on its data (measured: goacc_destroy_thread
// assertion).
static __thread int in_parallel;
void GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags) {
  (void) num_threads; (void) flags;
  in_parallel++; fn(data); in_parallel--;
}
void GOMP_barrier(void) {}
int omp_get_max_threads(void) { return 1; }
int omp_get_num_threads(void) { return 1; }
int omp_get_thread_num(void) { return 0; }
int omp_in_parallel(void) { return in_parallel > 0; }
void omp_set_num_threads(int n) { (void) n; }
typedef int omp_lock_t;
void omp_init_lock(omp_lock_t* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }
void omp_destroy_lock(omp_lock_t* l) { (void) l; }
void omp_set_lock(omp_lock_t* l) { while (__atomic_exchange_n(l, 1, __ATOMIC_ACQUIRE)) {} }
void omp_unset_lock(omp_lock_t* l) { __atomic_store_n(l, 0, __ATOMIC_RELEASE); }
