#!/usr/bin/env bash
# What the release vigil-ffi cdylib weighs, and what dominates it: `nm --size-sort -S`
# on the unstripped library (release keeps symbols; strip=debuginfo), demangled, summed
# by crate (the first path segment of each Rust symbol; C symbols grouped by prefix:
# SQLCipher's sqlite3*, OpenSSL's libcrypto, ring's C/asm). Usage: ffi-size.sh LIB STRIPPED
set -euo pipefail
LIB=$1
STRIPPED=$2
size_of() { stat -c %s "$1"; }
echo
echo "### vigil-ffi cdylib"
echo
echo "- release \`libvigil_ffi.so\`: $(size_of "$LIB") bytes; stripped: $(size_of "$STRIPPED") bytes ($(( $(size_of "$STRIPPED") / 1024 )) KiB)"
echo "- method: \`nm --size-sort -S -C\` on the unstripped release library, text and data symbols summed by crate (bench/scripts/ffi-size.sh); symbols cover $(nm -S --size-sort "$LIB" | awk '{s+=strtonum("0x"$2)} END {printf "%d", s/1024}') KiB of it"
echo
echo "| crate or library | KiB | share of symbol bytes |"
echo "|---|---:|---:|"
nm -S --size-sort -C "$LIB" | awk '
{
    size = strtonum("0x" $2); name = "";
    for (i = 4; i <= NF; i++) name = name (i > 4 ? " " : "") $i;
    n = name;
    sub(/^</, "", n); sub(/^_</, "", n); sub(/^\(/, "", n); sub(/^&/, "", n); sub(/^dyn /, "", n);
    if (n ~ /^(sqlite3|sqlcipher|fts5|Fts5|fts3|rtree|json|sqlite|btree|pager|vdbe|wal)/) c = "SQLCipher (C)";
    else if (n ~ /^(EVP_|OPENSSL|ossl_|BN_|ERR_|CRYPTO_|ASN1|X509|PEM_|RSA_|EC_|DH_|DSA_|OBJ_|BIO_|SHA|AES|CMAC|HMAC|RAND_|PKCS|OSSL|i2d_|d2i_|CONF_|ENGINE_|UI_|OPENSSL|aesni|bn_|sha|ecp_|x25519|ChaCha|Poly1305|md5|MD5|rsa_|evp_|asn1|x509|ec_|dh_|dsa_|conf_|engine_|ui_|bio_|err_|crypto_|rand_|pkcs|cms_|CMS_|OCSP|ocsp|TS_|ts_|SMIME|SRP|srp|ct_|CT_|DES|des_|BF_|CAST|IDEA|RC2|RC4|SEED|Camellia|camellia|ARIA|aria|SM[234]|sm[234]|whirlpool|WHIRLPOOL|RIPEMD|ripemd|MDC2|mdc2|poly1305|chacha|blake2|BLAKE2|gcm_|GCM|CRYPTO|async_|ASYNC|OSSL_|provider|ossl)/) c = "OpenSSL libcrypto (C, vendored for SQLCipher)";
    else if (n ~ /^ring_core/) c = "ring (C/asm)";
    else if (n ~ /::/) { split(n, parts, "::"); c = parts[1]; sub(/\[.*$/, "", c); }
    else c = "other C/asm symbols";
    total[c] += size; all += size;
}
END {
    for (c in total) printf "%d\t%s\n", total[c], c;
    printf "ALL\t%d\n", all > "/dev/stderr";
}' 2>/tmp/ffi-size-all | sort -rn | head -25 | while IFS=$'\t' read -r bytes crate; do
    all=$(awk '{print $2}' /tmp/ffi-size-all)
    printf '| %s | %d | %.1f%% |\n' "$crate" $((bytes / 1024)) "$(awk -v b="$bytes" -v a="$all" 'BEGIN {print 100*b/a}')"
done
