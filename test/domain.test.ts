import test from 'ava';
import { InputError, parseDomainName } from '../src/input/domain.js';

const accepted: [string, string][] = [
  ['example.com', 'example.com'],
  ['EXAMPLE.Com', 'example.com'],
  ['example.com.', 'example.com'],
  ['  example.com ', 'example.com'],
  ['bücher.example', 'xn--bcher-kva.example'],
  ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ['faß.de', 'xn--fa-hia.de'],
  ['a-b.c-d.example', 'a-b.c-d.example'],
  [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
];
for (const [input, name] of accepted) {
  test(`accepts ${JSON.stringify(input)}`, (t) => {
    t.deepEqual(parseDomainName(input), { input, name });
  });
}

const rejected: [string, RegExp][] = [
  ['', /empty domain name/],
  ['   ', /empty domain name/],
  ['a..b', /empty label/],
  ['.example.com', /empty label/],
  [`${'a'.repeat(64)}.example`, /label of 64 octets/],
  [`${'abcdefghi.'.repeat(26)}com`, /at most 253/],
  ['exa mple.com', /white space/],
  ['ex!ample.com', /letters, digits/],
  ['ex_ample.com', /letters, digits/],
  ['-example.com', /not an option/],
  ['--zone=x', /not an option/],
  ['example-.com', /letters, digits/],
  ['https://example.com', /is a URL/],
  ['example.com/path', /is a URL/],
  ['postmaster@example.com', /e-mail address/],
  ['192.0.2.1', /IP address/],
  ['[2001:db8::1]', /IP address/],
  ['localhost', /single label/],
  ['example.123', /all-numeric/],
  ['xn--zz.test', /"xn--zz", which is not a valid A-label/],
  ['XN--ZZ.TEST', /"xn--zz", which is not a valid A-label/],
  ['xn--a.test', /not a valid A-label/],
  ['mail.xn--abc-d.test', /"xn--abc-d", which is not a valid A-label/],
];

test('a valid A-label in any case is accepted as it is, lower-cased', (t) => {
  t.is(parseDomainName('XN--BCHER-KVA.TEST').name, 'xn--bcher-kva.test');
  t.is(parseDomainName('xn--ls8h.test').name, 'xn--ls8h.test');
  // Labels with hyphens in positions 3 and 4 that are not xn-- are left alone (they exist: r3---sn-…).
  t.is(parseDomainName('r3---sn-abc.example').name, 'r3---sn-abc.example');
});
for (const [input, reason] of rejected) {
  test(`rejects ${JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input)}`, (t) => {
    const err = t.throws(() => parseDomainName(input), { instanceOf: InputError });
    t.regex(err!.message, reason);
    t.false(err!.message.includes('\n'));
  });
}
