#!/bin/sh
# Regenerates the certificates the SMTP probe tests use (test/smtp-probe.test.ts). The PEM files are
# committed, so tests and CI never need openssl; run this only to change them (OpenSSL 3).
#   ca.pem          test CA (trusted by the tests through --ca-file / caFile), valid until 2125
#   good.pem        mx1.smtpgood.test and the other "right name" hosts, issued by the test CA, RSA 2048
#   expired.pem     mx1.smtpexpired.test, issued by the test CA, valid 2020-01-01 .. 2021-01-01
#   wrongname.pem   mail.elsewhere.test (served for mx1.smtpwrongname.test), issued by the test CA
#   selfsigned.pem  mx1.smtpselfsigned.test, self-signed
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
  -days 36500 -subj "/O=mailaudit tests/CN=mailaudit test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

mkdir -p "$tmp/newcerts"
: > "$tmp/index.txt"
echo 1000 > "$tmp/serial"
cat > "$tmp/ca.cnf" <<CNF
[ ca ]
default_ca = testca
[ testca ]
dir = $tmp
database = $tmp/index.txt
new_certs_dir = $tmp/newcerts
serial = $tmp/serial
certificate = $PWD/ca.pem
private_key = $PWD/ca.key
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = copy
[ anything ]
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
CNF

# issue NAME KEYFILE-ALG SAN START END
issue() {
  name=$1; alg=$2; san=$3; start=$4; end=$5
  if [ "$alg" = rsa ]; then keyopt="-newkey rsa:2048"; else keyopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256"; fi
  openssl req -new $keyopt -nodes -keyout "$name.key" -out "$tmp/$name.csr" -subj "/CN=${san%%,*}" \
    -addext "subjectAltName=$(echo "$san" | sed 's/[^,]*/DNS:&/g')"
  openssl ca -batch -config "$tmp/ca.cnf" -extensions leaf -notext -startdate "$start" -enddate "$end" \
    -in "$tmp/$name.csr" -out "$name.pem"
}

issue good rsa "mx1.smtpgood.test,mx1.smtpauth.test,mx1.smtpbanner.test,mx1.smtpptr.test,mx1.smtplegacy.test,mx1.smtpshared.test,submit.smtpsub.test,mx2.smtpgood.test" 20250101000000Z 21250101000000Z
issue expired ec "mx1.smtpexpired.test" 20200101000000Z 20210101000000Z
issue wrongname ec "mail.elsewhere.test" 20250101000000Z 21250101000000Z

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout selfsigned.key -out selfsigned.pem \
  -days 36500 -subj "/CN=mx1.smtpselfsigned.test" -addext "subjectAltName=DNS:mx1.smtpselfsigned.test"
rm -f ca.key
