"""SHA-256 in Starlark, for the helper's sources digest (helper_repo.bzl).

Bazel has no hash function that a repository rule can apply to a string, and
rctx.download's checks only cover downloaded files, so the digest of the
helper's sources that decides whether the pinned prebuilt may run is computed
here (FIPS 180-4). Inputs are strings as repository_ctx.read returns them: one
character per byte (ISO-8859-1), non-ASCII bytes included.
"""

_K = [
    0x428a2f98,
    0x71374491,
    0xb5c0fbcf,
    0xe9b5dba5,
    0x3956c25b,
    0x59f111f1,
    0x923f82a4,
    0xab1c5ed5,
    0xd807aa98,
    0x12835b01,
    0x243185be,
    0x550c7dc3,
    0x72be5d74,
    0x80deb1fe,
    0x9bdc06a7,
    0xc19bf174,
    0xe49b69c1,
    0xefbe4786,
    0x0fc19dc6,
    0x240ca1cc,
    0x2de92c6f,
    0x4a7484aa,
    0x5cb0a9dc,
    0x76f988da,
    0x983e5152,
    0xa831c66d,
    0xb00327c8,
    0xbf597fc7,
    0xc6e00bf3,
    0xd5a79147,
    0x06ca6351,
    0x14292967,
    0x27b70a85,
    0x2e1b2138,
    0x4d2c6dfc,
    0x53380d13,
    0x650a7354,
    0x766a0abb,
    0x81c2c92e,
    0x92722c85,
    0xa2bfe8a1,
    0xa81a664b,
    0xc24b8b70,
    0xc76c51a3,
    0xd192e819,
    0xd6990624,
    0xf40e3585,
    0x106aa070,
    0x19a4c116,
    0x1e376c08,
    0x2748774c,
    0x34b0bcb5,
    0x391c0cb3,
    0x4ed8aa4a,
    0x5b9cca4f,
    0x682e6ff3,
    0x748f82ee,
    0x78a5636f,
    0x84c87814,
    0x8cc70208,
    0x90befffa,
    0xa4506ceb,
    0xbef9a3f7,
    0xc67178f2,
]

_H0 = [
    0x6a09e667,
    0xbb67ae85,
    0x3c6ef372,
    0xa54ff53a,
    0x510e527f,
    0x9b05688c,
    0x1f83d9ab,
    0x5be0cd19,
]

_M = 0xffffffff

_HEX = "0123456789abcdef"

# Bazel's Starlark has no ord(): the byte of each of the 256 characters, made
# with json.decode's \\u escapes (json.decode of "\\u00XX").
_BYTE = {
    c: i
    for i, c in enumerate(json.decode('"' + "".join(["\\u00" + _HEX[i >> 4] + _HEX[i & 15] for i in range(256)]) + '"').elems())
}

def _hex32(v):
    return "".join([_HEX[(v >> s) & 15] for s in (28, 24, 20, 16, 12, 8, 4, 0)])

def sha256_hex(data):
    """Returns the SHA-256 of a string of bytes, as lowercase hex.

    Args:
      data: a string with one character per byte (code points 0 to 255), as
        repository_ctx.read returns file contents.

    Returns:
      The 64 hex digits of its SHA-256.
    """
    byte = _BYTE
    b = [byte.get(c, -1) for c in data.elems()]
    n = len(b)
    if -1 in b:
        fail("sha256_hex: a character above 0xff: the input is not one character per byte")
    b.append(0x80)
    b.extend([0] * ((55 - n) % 64))
    bits = n * 8
    b.extend([(bits >> s) & 0xff for s in (56, 48, 40, 32, 24, 16, 8, 0)])

    h0, h1, h2, h3, h4, h5, h6, h7 = _H0
    k = _K
    for off in range(0, len(b), 64):
        w = [
            (b[off + i] << 24) | (b[off + i + 1] << 16) | (b[off + i + 2] << 8) | b[off + i + 3]
            for i in range(0, 64, 4)
        ]
        for i in range(16, 64):
            x = w[i - 15]
            y = w[i - 2]
            s0 = ((x >> 7) | (x << 25)) ^ ((x >> 18) | (x << 14)) ^ (x >> 3)
            s1 = ((y >> 17) | (y << 15)) ^ ((y >> 19) | (y << 13)) ^ (y >> 10)
            w.append((w[i - 16] + s0 + w[i - 7] + s1) & _M)

        a, bb, c, d, e, f, g, h = h0, h1, h2, h3, h4, h5, h6, h7
        for i in range(64):
            t1 = (h + (((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7))) +
                  (g ^ (e & (f ^ g))) + k[i] + w[i])
            t2 = (((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10))) + ((a & bb) | (c & (a | bb)))
            h = g
            g = f
            f = e
            e = (d + t1) & _M
            d = c
            c = bb
            bb = a
            a = (t1 + t2) & _M
        h0 = (h0 + a) & _M
        h1 = (h1 + bb) & _M
        h2 = (h2 + c) & _M
        h3 = (h3 + d) & _M
        h4 = (h4 + e) & _M
        h5 = (h5 + f) & _M
        h6 = (h6 + g) & _M
        h7 = (h7 + h) & _M
    return "".join([_hex32(v) for v in (h0, h1, h2, h3, h4, h5, h6, h7)])
