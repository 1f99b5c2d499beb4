"""What the release vigil-ffi cdylib weighs and what dominates it.

`nm --size-sort -S -C` on the unstripped release library (the release profile strips
debug info only, so the symbol table remains), symbol sizes summed by crate: the first
path segment of each demangled Rust symbol; C symbols grouped as SQLCipher (sqlite3*),
OpenSSL's libcrypto (vendored for SQLCipher) or ring's C/assembly.
Usage: ffi-size.py LIB STRIPPED
"""
import collections
import os
import re
import subprocess
import sys

lib, stripped = sys.argv[1], sys.argv[2]
out = subprocess.run(["nm", "--size-sort", "-S", "-C", lib], check=True,
                     capture_output=True, text=True).stdout
SQLITE = re.compile(r"^(sqlite3|sqlcipher|fts5|Fts5|fts3|rtree|json|btree|pager|vdbe|wal|codec)", re.I)
OPENSSL = re.compile(r"^(EVP_|OPENSSL|ossl_|OSSL|BN_|bn_|ERR_|CRYPTO_|ASN1|asn1|X509|x509|PEM_|RSA|rsa_|EC_|ec_|ecp_|DH_|DSA_|OBJ_|BIO_|bio_|SHA|sha|AES|aes|CMAC|HMAC|RAND_|rand_|PKCS|pkcs|i2d_|d2i_|CONF_|conf_|ENGINE|engine_|UI_|md5|MD5|x25519|ChaCha|chacha|Poly1305|poly1305|gcm|GCM|des_|DES_|camellia|Camellia|aria|ARIA|sm[234]|SM[234]|blake2|BLAKE2|whirlpool|ripemd|RIPEMD|async_|ASYNC|provider|ct_|CT_|OCSP|ocsp|TS_|CMS_|cms_|SRP|srp|EC|ED|ed25519|ed448|X448|x448|dtls|tls|SSL)")
total = collections.Counter()
for line in out.splitlines():
    parts = line.split(maxsplit=3)
    if len(parts) < 4:
        continue
    size, name = int(parts[1], 16), parts[3]
    n = re.sub(r"^([<(&_]|mut |dyn )+", "", name)
    if n.startswith("ring_core"):
        crate = "ring (C/asm)"
    elif "::" in n:
        crate = re.sub(r"[<\[].*$", "", n.split("::")[0]) or "other Rust"
    elif SQLITE.match(n):
        crate = "SQLCipher (C)"
    elif OPENSSL.match(n):
        crate = "OpenSSL libcrypto (C, vendored for SQLCipher)"
    else:
        crate = "other C/asm (static SQLite/OpenSSL functions, tables)"
    total[crate] += size
whole = sum(total.values())
print("\n### vigil-ffi cdylib\n")
print(f"- release `libvigil_ffi.so` (target x86_64, release profile: opt-level s, LTO): "
      f"{os.path.getsize(lib):,} bytes; stripped: {os.path.getsize(stripped):,} bytes "
      f"({os.path.getsize(stripped) / 2**20:.1f} MiB)")
print(f"- method: `nm --size-sort -S -C` on the unstripped library, symbol sizes summed by "
      f"crate (bench/scripts/ffi-size.py); the symbols add up to {whole / 2**20:.1f} MiB\n")
print("| crate or library | KiB | share of symbol bytes |")
print("|---|---:|---:|")
for crate, size in total.most_common(20):
    print(f"| {crate} | {size // 1024:,} | {100 * size / whole:.1f} % |")
