"""Makes crosscheck-<H>x<W>.safetensors for RaftParityTest: RAFT (full, test mode) in float64 NumPy.

An independent re-implementation of princeton-vl/RAFT core (as vendored by VBench), written from the
paper's code for cross-checking the DJL port while the shared golden fixture's flows are NaN (its
60x92 frames make RAFT's coarsest correlation level 1 pixel wide). Needs only NumPy; run from the
repository root:  python3 metrics/src/test/resources/raft/numpy_raft_reference.py 125 130 20
"""
import zipfile, pickle, json, struct, sys
import numpy as np
f32 = np.float32
PTH = '../shared/fixtures/metrics/raft/raft-things.pth'
zf = zipfile.ZipFile(PTH)
arch = [n for n in zf.namelist() if n.endswith('/data.pkl')][0][:-len('data.pkl')]
DT = {'FloatStorage': np.float32, 'LongStorage': np.int64}
class U(pickle.Unpickler):
    def find_class(self, m, n):
        if n == '_rebuild_tensor_v2':
            def rb(storage, off, size, stride, *a):
                key, dt = storage
                buf = np.frombuffer(zf.read(arch + 'data/' + key), dtype=dt)
                it = buf.itemsize
                return np.lib.stride_tricks.as_strided(buf[off:], shape=size, strides=[s * it for s in stride]).copy()
            return rb
        if n == 'OrderedDict':
            import collections; return collections.OrderedDict
        if n in DT: return n
        raise Exception(m + n)
    def persistent_load(self, pid):
        return (pid[2], DT[pid[1]])
sd = U(zf.open(arch + 'data.pkl')).load()
W = {k.replace('module.', ''): v for k, v in sd.items()}

def conv(x, name, stride=1, pad=(0, 0)):
    w = W[name + '.weight'].astype(np.float64); b = W[name + '.bias'].astype(np.float64)
    x = x.astype(np.float64)
    N, C, H, Wd = x.shape; O, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    Ho = (H + 2 * pad[0] - kh) // stride + 1; Wo = (Wd + 2 * pad[1] - kw) // stride + 1
    out = np.zeros((N, O, Ho, Wo))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride]
            out += np.einsum('nchw,oc->nohw', patch, w[:, :, i, j])
    return out + b[None, :, None, None]

relu = lambda x: np.maximum(x, 0)
sig = lambda x: 1 / (1 + np.exp(-x))
def bn(x, name):
    g, b, m, v = (W[name + s].astype(np.float64) for s in ('.weight', '.bias', '.running_mean', '.running_var'))
    r = lambda a: a[None, :, None, None]
    return (x - r(m)) / np.sqrt(r(v) + 1e-5) * r(g) + r(b)
def inorm(x, name):
    m = x.mean(axis=(2, 3), keepdims=True); v = ((x - m) ** 2).mean(axis=(2, 3), keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5)
def resblock(x, p, norm, stride):
    y = relu(norm(conv(x, p + '.conv1', stride, (1, 1)), p + '.norm1'))
    y = relu(norm(conv(y, p + '.conv2', 1, (1, 1)), p + '.norm2'))
    if stride != 1:
        x = norm(conv(x, p + '.downsample.0', stride), p + '.norm3')
    return relu(x + y)
def encoder(x, p, norm):
    x = relu(norm(conv(x, p + '.conv1', 2, (3, 3)), p + '.norm1'))
    for li, s in ((1, 1), (2, 2), (3, 2)):
        x = resblock(x, f'{p}.layer{li}.0', norm, s)
        x = resblock(x, f'{p}.layer{li}.1', norm, 1)
    return conv(x, p + '.conv2')

def grid_sample_ac(img, gx, gy):
    # img (N,H,W); gx, gy (N,K) normalised coords; align_corners=True, zeros padding
    N, H, Wd = img.shape
    with np.errstate(all='ignore'):
        ix = (gx + 1) / 2 * (Wd - 1); iy = (gy + 1) / 2 * (H - 1)
        x0 = np.floor(ix); y0 = np.floor(iy)
        out = np.zeros(gx.shape)
        for dx in (0, 1):
            for dy in (0, 1):
                xc = x0 + dx; yc = y0 + dy
                wgt = (1 - np.abs(ix - xc)) * (1 - np.abs(iy - yc))
                ok = (xc >= 0) & (xc <= Wd - 1) & (yc >= 0) & (yc <= H - 1)
                xi = np.where(ok, xc, 0).astype(np.int64); yi = np.where(ok, yc, 0).astype(np.int64)
                val = img[np.arange(N)[:, None], yi, xi] * ok
                out = out + val * wgt
    return out

def avgpool(c):
    N, H, Wd = c.shape; H2, W2 = H // 2, Wd // 2
    c = c[:, :H2 * 2, :W2 * 2]
    return c.reshape(N, H2, 2, W2, 2).mean(axis=(2, 4))

def raft(im1, im2, iters):
    im1 = 2 * (im1 / 255.0) - 1; im2 = 2 * (im2 / 255.0) - 1
    f = encoder(np.concatenate([im1, im2]), 'fnet', inorm)
    f1, f2 = f[0], f[1]
    C, h, w = f1.shape
    corr = (f1.reshape(C, h * w).T @ f2.reshape(C, h * w)) / np.sqrt(C)
    pyr = [corr.reshape(h * w, h, w)]
    for _ in range(3): pyr.append(avgpool(pyr[-1]))
    c = encoder(im1, 'cnet', bn)
    net = np.tanh(c[:, :128]); inp = relu(c[:, 128:])
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing='ij')
    coords0 = np.stack([xs, ys]).astype(np.float64)[None]
    coords1 = coords0.copy()
    d = np.arange(-4, 5)
    for it in range(iters):
        feats = []
        cx = coords1[0, 0].reshape(-1, 1, 1); cy = coords1[0, 1].reshape(-1, 1, 1)
        for lvl in range(4):
            Hl, Wl = pyr[lvl].shape[1:]
            x = (cx / 2 ** lvl + d[None, :, None]) * np.ones((1, 9, 9))
            y = (cy / 2 ** lvl + d[None, None, :]) * np.ones((1, 9, 9))
            with np.errstate(all='ignore'):
                gx = 2 * x / (Wl - 1) - 1; gy = 2 * y / (Hl - 1) - 1
            s = grid_sample_ac(pyr[lvl], gx.reshape(h * w, 81), gy.reshape(h * w, 81))
            feats.append(s.reshape(1, h, w, 81))
        corrf = np.concatenate(feats, -1).transpose(0, 3, 1, 2)
        flow = coords1 - coords0
        p = 'update_block.encoder'
        cor = relu(conv(corrf, p + '.convc1')); cor = relu(conv(cor, p + '.convc2', 1, (1, 1)))
        flo = relu(conv(flow, p + '.convf1', 1, (3, 3))); flo = relu(conv(flo, p + '.convf2', 1, (1, 1)))
        mot = np.concatenate([relu(conv(np.concatenate([cor, flo], 1), p + '.conv', 1, (1, 1))), flow], 1)
        x_in = np.concatenate([inp, mot], 1)
        g = 'update_block.gru'
        for sfx, pad in (('1', (0, 2)), ('2', (2, 0))):
            hx = np.concatenate([net, x_in], 1)
            z = sig(conv(hx, g + '.convz' + sfx, 1, pad)); r = sig(conv(hx, g + '.convr' + sfx, 1, pad))
            q = np.tanh(conv(np.concatenate([r * net, x_in], 1), g + '.convq' + sfx, 1, pad))
            net = (1 - z) * net + z * q
        delta = conv(relu(conv(net, 'update_block.flow_head.conv1', 1, (1, 1))), 'update_block.flow_head.conv2', 1, (1, 1))
        mask = 0.25 * conv(relu(conv(net, 'update_block.mask.0', 1, (1, 1))), 'update_block.mask.2')
        coords1 = coords1 + delta
    low = coords1 - coords0
    m = mask.reshape(1, 1, 9, 8, 8, h, w); m = np.exp(m - m.max(2, keepdims=True)); m = m / m.sum(2, keepdims=True)
    fp = np.pad(8 * low, ((0, 0), (0, 0), (1, 1), (1, 1)))
    unf = np.stack([fp[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)], 2).reshape(1, 2, 9, 1, 1, h, w)
    up = (m * unf).sum(2).transpose(0, 1, 4, 2, 5, 3).reshape(1, 2, 8 * h, 8 * w)
    return low, up

def pad_sintel(x):
    H, Wd = x.shape[-2:]
    ph = (((H // 8) + 1) * 8 - H) % 8; pw = (((Wd // 8) + 1) * 8 - Wd) % 8
    return np.pad(x, ((0, 0), (0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2)), mode='edge')

def save(path, tensors):
    hdr = {}; off = 0; blobs = []
    for k, v in tensors.items():
        u8 = k.startswith('image')
        b = np.ascontiguousarray(v, dtype=np.uint8 if u8 else np.float32).tobytes()
        hdr[k] = {'dtype': 'U8' if u8 else 'F32', 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}; off += len(b); blobs.append(b)
    h = json.dumps(hdr).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
    hdr['__metadata__'] = {'reference': 'float64 NumPy re-implementation of RAFT core (princeton-vl/RAFT, as vendored by VBench)', 'weights': 'shared/fixtures/metrics/raft/raft-things.pth', 'iters': '20', 'padding': 'sintel replicate'}
    h = json.dumps(hdr).encode(); h += b' ' * ((8 - len(h) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))

if __name__ == '__main__':
    H, Wd, iters = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(0)
    # noise frames, the second a shifted crop of the first, rounded to 8-bit values as decoded video is
    base = rng.uniform(0, 255, (1, 3, H + 8, Wd + 8))
    im1 = base[:, :, 4:4 + H, 4:4 + Wd]; im2 = base[:, :, 2:2 + H, 5:5 + Wd]
    im1 = np.round(im1); im2 = np.round(im2)
    p1, p2 = pad_sintel(im1), pad_sintel(im2)
    low, up = raft(p1, p2, iters)
    print('low', low.shape, np.isnan(low).sum(), np.abs(low).mean(), 'up', up.shape, np.abs(up).mean())
    save(f'metrics/src/test/resources/raft/crosscheck-{H}x{Wd}.safetensors', {'image1': im1, 'image2': im2, 'flow_low': low, 'flow_up': up})
