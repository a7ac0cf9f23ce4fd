#!/bin/sh
# Regenerates the certificate of the hostile SMTP server of the HTML report tests (test/html-*.test.ts):
# self-signed, with markup in its subject and issuer, which the page must show as text. Committed, so
# tests never need openssl; valid for a century.
set -eu
cd "$(dirname "$0")"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout hostile.key -out hostile.pem \
  -days 36500 -subj "/O=<img src=x onerror=alert(3)>/CN=<script>alert('cert')<\\/script>" \
  -addext "subjectAltName=DNS:mx.hostile.test"
