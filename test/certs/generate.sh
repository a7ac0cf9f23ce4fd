#!/bin/sh
# Regenerates the test certificates used by the MTA-STS, BIMI and DANE tests. The outputs are
# committed (valid until 2126), so tests and CI need no openssl; run this only to change them.
#   ca.pem/ca.der            a test root CA (trusted by tests through --ca-file / caFile)
#   server.pem/server.key    leaf signed by the CA for the test HTTPS/SMTP names (SAN list below)
#   server.der               the same leaf, DER
#   wrongname.pem/.key       leaf signed by the CA for an unrelated name
#   expired.pem/.key         leaf signed by the CA, valid only in 2000
#   other-ca.pem/.der        an unrelated CA; other-leaf.pem/.der/.key a leaf it signed (DANE non-match)
#   weak.pem/.key            leaf signed by the CA with SHA-1, RSA 1024 (SMTP weak-key and SHA-1 rules);
#                            `sh generate.sh weak` makes only this one, with the existing CA
# A certificate that expires tomorrow cannot be committed: test/helpers/expiring-cert.ts makes it at test time.
set -eu
cd "$(dirname "$0")"
DAYS=36500
SAN="DNS:mta-sts.sts-good.test,DNS:mta-sts.sts-testing.test,DNS:mta-sts.sts-redirect.test,DNS:mta-sts.sts-ctype.test,DNS:mta-sts.sts-big.test,DNS:mta-sts.sts-404.test,DNS:mta-sts.sts-slow.test,DNS:mta-sts.sts-mismatch.test,DNS:mta-sts.sts-badpolicy.test,DNS:mta-sts.sts-none.test,DNS:logo.bimi-good.test,DNS:mx1.dane-good.test,DNS:localhost,IP:127.0.0.1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ca() { # name subject
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days $DAYS -subj "/CN=$2" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}
leaf() { # name ca subject san [startdate enddate]
  openssl req -new -newkey rsa:2048 -nodes -keyout "$1.key" -out "$tmp/$1.csr" -subj "/CN=$3" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$4" > "$tmp/$1.ext"
  if [ $# -ge 6 ]; then
    # openssl 3.0's x509 -req cannot backdate: use `openssl ca` with explicit dates.
    mkdir -p "$tmp/db" && : > "$tmp/db/index.txt" && echo 01 > "$tmp/db/serial"
    printf '[ca]\ndefault_ca=c\n[c]\ndatabase=%s/db/index.txt\nserial=%s/db/serial\nnew_certs_dir=%s/db\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n' "$tmp" "$tmp" "$tmp" > "$tmp/ca.cnf"
    openssl ca -batch -config "$tmp/ca.cnf" -cert "$2.pem" -keyfile "$2.key" -in "$tmp/$1.csr" -out "$tmp/$1.full" \
      -startdate "$5" -enddate "$6" -extfile "$tmp/$1.ext" -notext 2>/dev/null
    openssl x509 -in "$tmp/$1.full" -out "$1.pem"
  else
    openssl x509 -req -in "$tmp/$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days $DAYS \
      -extfile "$tmp/$1.ext" -sha256 2>/dev/null
  fi
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

weak() {
  openssl req -new -newkey rsa:1024 -nodes -keyout weak.key -out "$tmp/weak.csr" -subj "/CN=mx1.smtpweak.test" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:mx1.smtpweak.test,DNS:submit.smtpweak.test\n' > "$tmp/weak.ext"
  openssl x509 -req -in "$tmp/weak.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out weak.pem -days $DAYS -extfile "$tmp/weak.ext" -sha1 2>/dev/null
  rm -f ./*.srl
}
if [ "${1:-}" = weak ]; then weak; exit 0; fi

ca ca "mailaudit test CA"
ca other-ca "unrelated test CA"
leaf server ca "mailaudit test server" "$SAN"
leaf wrongname ca "somewhere-else.test" "DNS:somewhere-else.test"
leaf expired ca "mailaudit expired server" "$SAN" 20000101000000Z 20010101000000Z
leaf other-leaf other-ca "unrelated server" "DNS:mx1.dane-good.test"
weak
rm -f ./*.srl
