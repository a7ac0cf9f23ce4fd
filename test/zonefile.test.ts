import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { parseZone, ZoneSyntaxError, type ParsedZone } from '../src/dns/zonefile.js';
import type { RRType, ZoneRecord } from '../src/dns/types.js';

const zone = (lines: string[], opts: { origin?: string; defaultTtl?: number } = { origin: 'example.com' }): ParsedZone =>
  parseZone(lines.join('\n'), { file: 't.zone', ...opts });

const only = <T extends RRType>(parsed: ParsedZone, type: T, name?: string): ZoneRecord<T>[] =>
  parsed.records.filter((r) => r.type === type && (name === undefined || r.name === name)) as ZoneRecord<T>[];

const data = <T extends RRType>(parsed: ParsedZone, type: T, name?: string) => only(parsed, type, name).map((r) => r.data);

/** Asserts that parsing fails at `line` with a reason matching `reason`. */
function failsAt(
  t: ExecutionContext,
  lines: string[],
  line: number,
  reason: RegExp,
  opts: { origin?: string } = { origin: 'example.com' },
): void {
  const err = t.throws(() => zone(lines, opts), { instanceOf: ZoneSyntaxError });
  if (!(err instanceof ZoneSyntaxError)) return;
  t.is(err.file, 't.zone');
  t.is(err.line, line, `reason: ${err.reason}`);
  t.regex(err.reason, reason);
}

const DKIM_P =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAo6OWxE31TQ9NAmdL1GRPKkzLJf/Wg0wXv97HX6qvrOOVGUiZ6fAf0l4/ZUowAFMbNLbPnyPoYi8EekT5WrXnoreBWJJMfNoEH/HzQt1eR9M54TwT/MySCgCcBh9yjvsxKKsdRjYE2C65XsCqqv8JbQ6tl6PR' +
  'MM/hD2/aM1FTXcoX1wGGQMB+V8miVei3KbWVtP8tSl6Uwh9mUEprY1mKH0JxtNC8AHhH/guO5njhhvk+T2GmbBdTX02dwo31YhN0JGX7hBxUFTE4XL11LG1RLaKW/ZStQaaN/go/WY1bc2ijSHDaeraSEjS6h6YR3m1oGM3PcbfIZd0k4ZvIY0jRkwIDAQAB';

// ---------------------------------------------------------------------------------------------
// Fixtures

test('fixture good.zone: a realistic zone parses completely', (t) => {
  const parsed = parseZone(readFileSync('fixtures/zonefile/good.zone', 'utf8'), { file: 'good.zone' });
  t.is(parsed.origin, 'example.org');
  t.is(parsed.file, 'good.zone');
  t.is(parsed.firstRecordLine, 6);

  t.deepEqual(parsed.soa?.data, {
    mname: 'ns1.example.org',
    rname: 'hostmaster.example.org',
    serial: 2024061501,
    refresh: 7200,
    retry: 1800,
    expire: 1209600,
    minimum: 300,
  });
  t.deepEqual(parsed.soa?.origin, { file: 'good.zone', line: 6 });
  t.is(parsed.soa?.ttl, 3600);

  t.deepEqual(
    only(parsed, 'NS').map((r) => [r.name, r.data, r.origin.line]),
    [
      ['example.org', 'ns1.example.org', 14],
      ['example.org', 'ns2.example.net', 15],
      ['child.example.org', 'ns1.child.example.org', 45],
    ],
  );
  t.deepEqual(data(parsed, 'MX', 'example.org'), [
    { preference: 10, exchange: 'mx1.example.org' },
    { preference: 20, exchange: 'mx2.example.net' },
  ]);
  t.deepEqual(
    [...only(parsed, 'A', 'mx1.example.org'), ...only(parsed, 'AAAA', 'mx1.example.org')].map((r) => [r.data, r.ttl]),
    [
      ['192.0.2.25', 300],
      ['2001:db8::25', 300],
    ],
  );

  const dkim = only(parsed, 'TXT', 'sel2024._domainkey.example.org');
  t.is(dkim.length, 1);
  t.is(dkim[0].origin.line, 25);
  t.is(dkim[0].data.length, 2);
  t.is(dkim[0].data.join(''), `v=DKIM1; k=rsa; p=${DKIM_P}`);

  t.deepEqual(data(parsed, 'TXT', '_dmarc.example.org'), [['v=DMARC1; p=reject; rua=mailto:dmarc@example.org; fo=1']]);
  t.deepEqual(data(parsed, 'CNAME'), ['sts.example.net']);
  t.deepEqual(data(parsed, 'TLSA', '_25._tcp.mx1.example.org'), [
    { usage: 3, selector: 1, matchingType: 1, data: '8a1d0f2c6b3e4d5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7' },
  ]);
  t.deepEqual(data(parsed, 'CAA'), [
    { flags: 0, tag: 'issue', value: 'letsencrypt.org' },
    { flags: 0, tag: 'iodef', value: 'mailto:security@example.org' },
  ]);

  // after `$ORIGIN lists.example.org.`
  t.deepEqual(data(parsed, 'MX', 'lists.example.org'), [{ preference: 0, exchange: '' }]);
  t.deepEqual(data(parsed, 'TXT', 'lists.example.org'), [['v=spf1 -all']]);

  // HTTPS and DS are skipped; nothing but the types mailaudit reads comes out
  const types = new Set(parsed.records.map((r) => r.type));
  t.deepEqual([...types].sort(), ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'SOA', 'TLSA', 'TXT']);
  t.is(parsed.records.length, 21);
});

test('fixture bad-syntax.zone: the unterminated DMARC quote is reported at its line', (t) => {
  const text = readFileSync('fixtures/zonefile/bad-syntax.zone', 'utf8');
  const err = t.throws(() => parseZone(text, { file: 'fixtures/zonefile/bad-syntax.zone' }), {
    instanceOf: ZoneSyntaxError,
  });
  t.is(err?.line, 10);
  t.is(err?.message, 'fixtures/zonefile/bad-syntax.zone:10: unterminated quoted string');
});

// ---------------------------------------------------------------------------------------------
// API shape

test('ZoneSyntaxError carries file, line and reason; message is file:line: reason', (t) => {
  const err = t.throws(() => parseZone('www IN A 300.1.1.1\n', { file: 'z/a.zone', origin: 'a.test' }));
  t.true(err instanceof ZoneSyntaxError);
  t.true(err instanceof Error);
  if (!(err instanceof ZoneSyntaxError)) return;
  t.is(err.name, 'ZoneSyntaxError');
  t.is(err.file, 'z/a.zone');
  t.is(err.line, 1);
  t.is(err.reason, "bad IPv4 address '300.1.1.1'");
  t.is(err.message, "z/a.zone:1: bad IPv4 address '300.1.1.1'");
});

test('each record carries file and the line it starts on', (t) => {
  const parsed = zone(['', '; comment', 'www A 192.0.2.1', '', 'mail MX (', '  10', '  mx ) ', '  A 192.0.2.2']);
  t.deepEqual(
    parsed.records.map((r) => r.origin),
    [
      { file: 't.zone', line: 3 },
      { file: 't.zone', line: 5 },
      { file: 't.zone', line: 8 },
    ],
  );
  t.is(parsed.firstRecordLine, 3);
});

test('an empty file or one with only comments and directives has no records', (t) => {
  const parsed = parseZone('; nothing\n\n$TTL 60\n   \n', { file: 'e.zone' });
  t.deepEqual(parsed, { origin: '', records: [], soa: undefined, file: 'e.zone', firstRecordLine: 0 });
});

// ---------------------------------------------------------------------------------------------
// Names and origins

test('names are absolute, lower-case and without the trailing dot', (t) => {
  const parsed = zone(['WWW.Example.COM. A 192.0.2.1', 'Mail A 192.0.2.2', '. NS A.ROOT-SERVERS.NET.']);
  t.deepEqual(
    parsed.records.map((r) => [r.name, r.data]),
    [
      ['www.example.com', '192.0.2.1'],
      ['mail.example.com', '192.0.2.2'],
      ['', 'a.root-servers.net'],
    ],
  );
});

test('@ is the origin; the origin option works with or without the trailing dot', (t) => {
  for (const origin of ['Example.com', 'example.com.']) {
    const parsed = zone(['@ A 192.0.2.1', 'www CNAME @'], { origin });
    t.deepEqual(
      parsed.records.map((r) => [r.name, r.data]),
      [
        ['example.com', '192.0.2.1'],
        ['www.example.com', 'example.com'],
      ],
    );
    t.is(parsed.origin, 'example.com');
  }
});

test('$ORIGIN overrides the origin option, and relative names follow $ORIGIN changes mid-file', (t) => {
  const parsed = zone(
    ['$ORIGIN example.net.', 'www A 192.0.2.1', '$ORIGIN sub.example.net.', 'www A 192.0.2.2', '$ORIGIN deeper', 'x A 192.0.2.3'],
    { origin: 'example.com' },
  );
  t.deepEqual(
    parsed.records.map((r) => r.name),
    ['www.example.net', 'www.sub.example.net', 'x.deeper.sub.example.net'],
  );
});

test('relative names and @ without any origin are errors at their line', (t) => {
  failsAt(t, ['www.example.com. A 192.0.2.1', 'www A 192.0.2.2'], 2, /relative name 'www'.*no origin/, {});
  failsAt(t, ['', '@ A 192.0.2.1'], 2, /'@' used but no origin/, {});
  failsAt(t, ['x.test. MX 10 mail'], 1, /relative name 'mail'/, {});
});

test('a blank owner repeats the previous owner, also after $ORIGIN changes', (t) => {
  const parsed = zone(['mail A 192.0.2.1', '\tAAAA 2001:db8::1', '$ORIGIN other.test.', '  TXT "x"', 'www A 192.0.2.2']);
  t.deepEqual(
    parsed.records.map((r) => [r.name, r.type]),
    [
      ['mail.example.com', 'A'],
      ['mail.example.com', 'AAAA'],
      ['mail.example.com', 'TXT'],
      ['www.other.test', 'A'],
    ],
  );
});

test('a first record without owner is an error', (t) => {
  failsAt(t, ['$TTL 60', '   A 192.0.2.1'], 2, /first record has no owner/);
});

test('escapes in names: an escaped dot stays inside its label, \\DDD is decoded', (t) => {
  const parsed = zone([String.raw`first\.last A 192.0.2.1`, String.raw`\065\066c.test. A 192.0.2.2`, String.raw`a\ b A 192.0.2.3`]);
  t.deepEqual(
    parsed.records.map((r) => r.name),
    [String.raw`first\.last.example.com`, 'abc.test', String.raw`a\032b.example.com`],
  );
});

test('label and name length limits are checked in octets', (t) => {
  const label63 = 'a'.repeat(63);
  t.is(zone([`${label63} A 192.0.2.1`]).records[0].name, `${label63}.example.com`);
  failsAt(t, ['www A 192.0.2.1', `${'b'.repeat(64)} A 192.0.2.1`], 2, /label longer than 63 octets \(64\)/);
  // 4 labels of 63 octets: 4 * 64 + 1 = 257 octets in wire form
  const long = Array.from({ length: 4 }, () => label63).join('.');
  failsAt(t, ['', `${long}. A 192.0.2.1`], 2, /name longer than 255 octets \(257\)/);
  // relative names count the origin: 3 * 64 + (1 + 61) + (1 + 7 + 1 + 3) + 1 = 267
  failsAt(t, [`${label63}.${label63}.${label63}.${'c'.repeat(61)} A 192.0.2.1`], 1, /name longer than 255 octets/);
  // the longest legal name: 3 * 64 + (1 + 61) + 1 = 255
  t.is(zone([`${label63}.${label63}.${label63}.${'c'.repeat(61)}. A 192.0.2.1`]).records.length, 1);
  failsAt(t, ['mx MX 10 mail..example.com.'], 1, /empty label/);
});

// ---------------------------------------------------------------------------------------------
// TTL and class

test('TTL units, alone and combined, in any case', (t) => {
  const cases: [string, number][] = [
    ['45s', 45],
    ['30m', 1800],
    ['1h', 3600],
    ['2d', 172800],
    ['1w', 604800],
    ['1h30m', 5400],
    ['1H30M', 5400],
    ['1w2d3h4m5s', 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5],
    ['86400', 86400],
    ['0', 0],
  ];
  for (const [ttl, seconds] of cases) {
    t.is(zone([`www ${ttl} IN A 192.0.2.1`]).records[0].ttl, seconds, ttl);
    t.is(zone([`$TTL ${ttl}`, 'www A 192.0.2.1']).records[0].ttl, seconds, `$TTL ${ttl}`);
  }
});

test('bad TTLs are errors', (t) => {
  failsAt(t, ['www A 192.0.2.1', 'www 1x A 192.0.2.1'], 2, /bad TTL '1x'/);
  failsAt(t, ['$TTL 1h', '$TTL soon'], 2, /bad TTL 'soon'/);
  failsAt(t, ['www 2147483648 A 192.0.2.1'], 1, /out of range/);
  failsAt(t, ['www 60 60 A 192.0.2.1'], 1, /second TTL/);
  failsAt(t, ['$TTL'], 1, /missing argument to \$TTL/);
});

test('TTL precedence: explicit > $TTL > previous record > defaultTtl option > 3600', (t) => {
  t.deepEqual(
    zone(['a A 192.0.2.1', 'b 60 A 192.0.2.2', 'c A 192.0.2.3', '$TTL 5m', 'd A 192.0.2.4', 'e 1d A 192.0.2.5', 'f A 192.0.2.6'], {
      origin: 'example.com',
    }).records.map((r) => r.ttl),
    [3600, 60, 60, 300, 86400, 300],
  );
  t.deepEqual(
    zone(['a A 192.0.2.1', 'b A 192.0.2.2'], { origin: 'example.com', defaultTtl: 120 }).records.map((r) => r.ttl),
    [120, 120],
  );
});

test('class IN is optional and TTL and class come in either order', (t) => {
  const parsed = zone(['a 300 IN A 192.0.2.1', 'b IN 300 A 192.0.2.2', 'c in A 192.0.2.3', 'd 300 A 192.0.2.4', 'e A 192.0.2.5']);
  t.deepEqual(
    parsed.records.map((r) => [r.name, r.ttl]),
    [
      ['a.example.com', 300],
      ['b.example.com', 300],
      ['c.example.com', 300],
      ['d.example.com', 300],
      ['e.example.com', 300],
    ],
  );
});

test('classes other than IN are errors', (t) => {
  failsAt(t, ['www A 192.0.2.1', 'version.bind. CH TXT "9.18"'], 2, /class CH is not supported/);
  failsAt(t, ['www 60 HS A 192.0.2.1'], 1, /class HS is not supported/);
  failsAt(t, ['www IN IN A 192.0.2.1'], 1, /second class/);
});

// ---------------------------------------------------------------------------------------------
// Tokenizer: parentheses, comments, quotes, escapes

test('parentheses span lines and may hold comments; the record starts at its owner line', (t) => {
  const parsed = zone([
    '@ IN SOA ns1 hostmaster ( ; primary, contact',
    '    2024010101 ; serial',
    '    ; a comment line inside the parentheses',
    '',
    '    3h ; refresh',
    '    (15m) 1w',
    '    1d )',
    'www A 192.0.2.1',
  ]);
  t.deepEqual(parsed.soa?.data, {
    mname: 'ns1.example.com',
    rname: 'hostmaster.example.com',
    serial: 2024010101,
    refresh: 10800,
    retry: 900,
    expire: 604800,
    minimum: 86400,
  });
  t.is(parsed.soa?.origin.line, 1);
  t.is(parsed.records[1].origin.line, 8);
});

test("an unclosed '(' is reported at its own line", (t) => {
  failsAt(t, ['www A 192.0.2.1', 'txt TXT ( "a"', '  "b"', 'mail A 192.0.2.2'], 2, /unbalanced parentheses: '\(' is never closed/);
});

test("a ')' without '(' is reported at its line", (t) => {
  failsAt(t, ['www A 192.0.2.1', 'mail MX 10 mx )'], 2, /unbalanced parentheses: '\)' without '\('/);
});

test('an unterminated quote is reported at the line it opens on', (t) => {
  failsAt(t, ['www A 192.0.2.1', '', 'txt TXT "v=spf1 -all', 'mail A 192.0.2.2'], 3, /unterminated quoted string/);
  failsAt(t, ['txt TXT ( "one"', '  "two )'], 2, /unterminated quoted string/);
  failsAt(t, [String.raw`txt TXT "ends in a backslash\"`], 1, /unterminated quoted string/);
});

test('semicolons start comments outside quotes only', (t) => {
  const parsed = zone(['_dmarc TXT "v=DMARC1; p=none; rua=mailto:d@example.com" ; the policy', 'x TXT a;b']);
  t.deepEqual(data(parsed, 'TXT'), [['v=DMARC1; p=none; rua=mailto:d@example.com'], ['a']]);
});

test('escaped quotes and backslashes inside quoted strings', (t) => {
  const parsed = zone([String.raw`x TXT "say \"hi\"; ok" "back\\slash" "\;\(\)"`]);
  t.deepEqual(parsed.records[0].data, ['say "hi"; ok', String.raw`back\slash`, ';()']);
});

test('\\DDD escapes are octets; a string is UTF-8 when valid, else Latin-1', (t) => {
  const parsed = zone([
    String.raw`a TXT "\065\066C"`,
    String.raw`b TXT "caf\195\169" "\226\130\172"`,
    String.raw`c TXT "\233t\233"`,
    String.raw`d TXT "tab\009end" "nul\000"`,
    'e TXT "déjà vu"',
  ]);
  t.deepEqual(data(parsed, 'TXT'), [['ABC'], ['café', '€'], ['été'], ['tab\tend', 'nul\0'], ['déjà vu']]);
  failsAt(t, [String.raw`a TXT "\256"`], 1, /bad escape \\256/);
  failsAt(t, ['', String.raw`a TXT "\12x"`], 2, /bad escape/);
});

test('a backslash at the end of a line outside quotes is an error', (t) => {
  failsAt(t, ['www A 192.0.2.1', 'x TXT abc\\', 'y A 192.0.2.2'], 2, /backslash at end of line/);
});

test('CRLF line endings and a byte order mark are accepted', (t) => {
  const parsed = parseZone('\uFEFF$ORIGIN example.com.\r\nwww A 192.0.2.1\r\n  TXT "a b"\r\n', { file: 'w.zone' });
  t.deepEqual(
    parsed.records.map((r) => [r.name, r.data, r.origin.line]),
    [
      ['www.example.com', '192.0.2.1', 2],
      ['www.example.com', ['a b'], 3],
    ],
  );
});

// ---------------------------------------------------------------------------------------------
// TXT and SPF

test('TXT keeps several quoted strings as separate chunks', (t) => {
  const parsed = zone(['x TXT "v=spf1 " "include:a.example " "-all"']);
  t.deepEqual(parsed.records[0].data, ['v=spf1 ', 'include:a.example ', '-all']);
});

test('a 2048-bit DKIM key split over two quoted strings on two lines in parentheses', (t) => {
  const first = `v=DKIM1; k=rsa; p=${DKIM_P.slice(0, 200)}`;
  const second = DKIM_P.slice(200);
  const parsed = zone(['sel._domainkey IN TXT (', `    "${first}"`, `    "${second}" )`, 'next A 192.0.2.1']);
  const [dkim] = only(parsed, 'TXT');
  t.deepEqual(dkim.data, [first, second]);
  t.is(dkim.data.join(''), `v=DKIM1; k=rsa; p=${DKIM_P}`);
  t.is(dkim.name, 'sel._domainkey.example.com');
  t.is(dkim.origin.line, 1);
  t.is(parsed.records[1].origin.line, 4);
});

test('unquoted TXT words are chunks too', (t) => {
  const parsed = zone([String.raw`x TXT v=spf1 -all`, String.raw`y TXT hello\ world "and more"`]);
  t.deepEqual(data(parsed, 'TXT'), [['v=spf1', '-all'], ['hello world', 'and more']]);
});

test('a character-string of 255 octets is fine, 256 is an error', (t) => {
  t.deepEqual(data(zone([`x TXT "${'a'.repeat(255)}"`]), 'TXT'), [['a'.repeat(255)]]);
  failsAt(t, ['x TXT "ok"', `y TXT "ok" "${'a'.repeat(256)}"`], 2, /character-string longer than 255 octets \(256\)/);
  // octets, not characters: 128 two-octet characters
  failsAt(t, [`x TXT "${'é'.repeat(128)}"`], 1, /longer than 255 octets \(256\)/);
  failsAt(t, [`x TXT ${'b'.repeat(256)}`], 1, /longer than 255 octets/);
});

test('SPF records parse like TXT; an empty string is a chunk', (t) => {
  const parsed = zone(['@ SPF "v=spf1 " "-all"', 'e TXT ""']);
  t.deepEqual(data(parsed, 'SPF'), [['v=spf1 ', '-all']]);
  t.deepEqual(data(parsed, 'TXT'), [['']]);
});

// ---------------------------------------------------------------------------------------------
// Typed RDATA

test('A records are validated', (t) => {
  t.deepEqual(data(zone(['a A 192.0.2.1']), 'A'), ['192.0.2.1']);
  failsAt(t, ['a A 192.0.2.1', 'b A 192.0.2'], 2, /bad IPv4 address '192\.0\.2'/);
  failsAt(t, ['b A 192.0.2.01'], 1, /bad IPv4 address/);
  failsAt(t, ['b A 2001:db8::1'], 1, /bad IPv4 address/);
});

test('AAAA records are validated and normalized', (t) => {
  const parsed = zone(['a AAAA 2001:DB8:0000:0:0:0:0:1', 'b AAAA ::', 'c AAAA 2001:db8:1:2:3:4:5:6']);
  t.deepEqual(data(parsed, 'AAAA'), ['2001:db8::1', '::', '2001:db8:1:2:3:4:5:6']);
  failsAt(t, ['a AAAA ::1', 'b AAAA 2001:db8::g'], 2, /bad IPv6 address '2001:db8::g'/);
  failsAt(t, ['b AAAA 192.0.2.1'], 1, /bad IPv6 address/);
  failsAt(t, ['b AAAA fe80::1%eth0'], 1, /bad IPv6 address/);
});

test('MX: preference and exchange, absolute or relative; the null MX', (t) => {
  const parsed = zone(['@ MX 10 mx1', '@ MX 20 MX2.Example.NET.', 'nomail MX 0 .']);
  t.deepEqual(data(parsed, 'MX'), [
    { preference: 10, exchange: 'mx1.example.com' },
    { preference: 20, exchange: 'mx2.example.net' },
    { preference: 0, exchange: '' },
  ]);
  failsAt(t, ['@ MX 10 mx1', '@ MX 65536 mx2'], 2, /bad preference '65536': expected a number from 0 to 65535/);
  failsAt(t, ['@ MX ten mx2'], 1, /bad preference 'ten'/);
  failsAt(t, ['@ MX (10', ' )'], 1, /missing exchange in MX record/);
});

test('CNAME, NS and PTR targets are absolutized and lower-cased', (t) => {
  const parsed = zone(['www CNAME Web', 'sub NS NS1.Sub', '1.2.0.192.in-addr.arpa. PTR Host.Example.NET.']);
  t.deepEqual(
    parsed.records.map((r) => [r.type, r.name, r.data]),
    [
      ['CNAME', 'www.example.com', 'web.example.com'],
      ['NS', 'sub.example.com', 'ns1.sub.example.com'],
      ['PTR', '1.2.0.192.in-addr.arpa', 'host.example.net'],
    ],
  );
});

test('SOA: names, serial and times with units; bad serial is an error', (t) => {
  const parsed = zone(['@ 1d IN SOA ns1.example.com. Host\\.Master 4294967295 1H 10M 4W 1h30m']);
  t.deepEqual(parsed.soa, {
    name: 'example.com',
    type: 'SOA',
    ttl: 86400,
    data: {
      mname: 'ns1.example.com',
      rname: String.raw`host\.master.example.com`,
      serial: 4294967295,
      refresh: 3600,
      retry: 600,
      expire: 2419200,
      minimum: 5400,
    },
    origin: { file: 't.zone', line: 1 },
  });
  t.true(parsed.records[0] === parsed.soa);
  failsAt(t, ['@ SOA ns1 host 4294967296 1h 1h 1h 1h'], 1, /bad serial/);
  failsAt(t, ['@ SOA ns1 host 1 1h 1h 1h'], 1, /missing minimum in SOA record/);
  failsAt(t, ['@ SOA ns1 host (', '  1 1h 1x 1h 1h )'], 2, /bad retry '1x'/);
});

test('TLSA: numbers and hex data split over several parts, lower-cased', (t) => {
  const parsed = zone(['_25._tcp.mail TLSA 3 1 1 ( ABCDEF0123', '  456789 abcd )']);
  t.deepEqual(parsed.records[0].data, { usage: 3, selector: 1, matchingType: 1, data: 'abcdef0123456789abcd' });
  failsAt(t, ['_25._tcp.mail TLSA 3 1 1 ABCDEFG0'], 1, /bad certificate data/);
  failsAt(t, ['_25._tcp.mail TLSA 3 1 1 ABC'], 1, /bad certificate data/);
  failsAt(t, ['_25._tcp.mail TLSA 3 1 256 AB'], 1, /bad matching type '256'/);
  failsAt(t, ['_25._tcp.mail TLSA 3 1 1'], 1, /missing certificate data in TLSA record/);
});

test('CAA: flags, tag and value', (t) => {
  const parsed = zone([
    '@ CAA 0 issue "letsencrypt.org; validationmethods=dns-01"',
    '@ CAA 128 IssueWild ";"',
    '@ CAA 0 iodef mailto:sec@example.com',
  ]);
  t.deepEqual(data(parsed, 'CAA'), [
    { flags: 0, tag: 'issue', value: 'letsencrypt.org; validationmethods=dns-01' },
    { flags: 128, tag: 'issuewild', value: ';' },
    { flags: 0, tag: 'iodef', value: 'mailto:sec@example.com' },
  ]);
  failsAt(t, ['@ CAA 0 is-sue "x"'], 1, /bad CAA tag 'is-sue'/);
  failsAt(t, ['@ CAA 0 issue'], 1, /missing value in CAA record/);
});

test('SRV: priority, weight, port and target', (t) => {
  const parsed = zone(['_submission._tcp SRV 0 1 587 mail', '_imaps._tcp SRV 0 0 0 .']);
  t.deepEqual(data(parsed, 'SRV'), [
    { priority: 0, weight: 1, port: 587, target: 'mail.example.com' },
    { priority: 0, weight: 0, port: 0, target: '' },
  ]);
  failsAt(t, ['_x._tcp SRV 0 1 70000 mail'], 1, /bad port '70000'/);
});

test('missing rdata is reported at the record line', (t) => {
  failsAt(t, ['www A 192.0.2.1', 'mail MX'], 2, /missing rdata for MX record/);
  failsAt(t, ['txt 300 IN TXT ; only a comment'], 1, /missing rdata for TXT record/);
  failsAt(t, ['www A 192.0.2.1', 'lonely'], 2, /missing record type/);
  failsAt(t, ['www 300 IN'], 1, /missing record type/);
});

test('data after the last field is an error at its line', (t) => {
  failsAt(t, ['www A 192.0.2.1 192.0.2.2'], 1, /unexpected '192\.0\.2\.2' after the A record data/);
  failsAt(t, ['@ MX ( 10 mx', '  extra )'], 2, /unexpected 'extra'/);
  failsAt(t, ['@ CNAME a b'], 1, /unexpected 'b'/);
});

// ---------------------------------------------------------------------------------------------
// Record types

test('legal types mailaudit does not read are skipped, not rejected', (t) => {
  const parsed = zone([
    '@ DNSKEY 257 3 13 ( mdsswUyr3DPW132mOi8V9xESWE8jTo0d',
    '   xCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ== )',
    '@ RRSIG A 13 2 3600 20240101000000 20231201000000 12345 example.com. AbCd',
    '@ NSEC www.example.com. A MX RRSIG NSEC',
    'sub DS 12345 13 2 49FD46E6C4B45C55D4AC',
    '@ HTTPS 1 . alpn="h2"',
    '_x SVCB 0 svc.example.net.',
    'h HINFO "PC" "Linux"',
    'g TYPE123 \\# 2 abcd',
    'www A 192.0.2.1',
  ]);
  t.deepEqual(
    parsed.records.map((r) => [r.type, r.name]),
    [['A', 'www.example.com']],
  );
  t.is(parsed.firstRecordLine, 1);
});

test('a token that is no record type is an error', (t) => {
  failsAt(t, ['www A 192.0.2.1', '@ IN MXX 10 mail'], 2, /^unknown record type MXX$/);
  failsAt(t, ['@ 300 TXTT "x"'], 1, /unknown record type TXTT/);
  failsAt(t, ['@ TYPE65536 \\# 0'], 1, /unknown record type TYPE65536/);
  failsAt(t, ['@ "A" 192.0.2.1'], 1, /unknown record type A/);
});

test('RFC 3597: TYPEnnn and \\# generic RDATA for the types we read', (t) => {
  const parsed = zone([
    'a TYPE1 \\# 4 C0000201',
    'b A \\# 4 ( C0 00 02 02 )',
    'c TYPE16 "plain text"',
    'd TXT \\# 12 0568656c6c6f 05776f726c64',
    'e MX \\# 14 000a 026d78 076578616d706c65 00',
    'f AAAA \\# 16 20010db8000000000000000000000001',
    'g CAA \\# 8 00 05 6973737565 61',
  ]);
  t.deepEqual(
    parsed.records.map((r) => [r.type, r.data]),
    [
      ['A', '192.0.2.1'],
      ['A', '192.0.2.2'],
      ['TXT', ['plain text']],
      ['TXT', ['hello', 'world']],
      ['MX', { preference: 10, exchange: 'mx.example' }],
      ['AAAA', '2001:db8::1'],
      ['CAA', { flags: 0, tag: 'issue', value: 'a' }],
    ],
  );
  failsAt(t, ['a A \\# 5 C0000201'], 1, /generic RDATA has 4 octets, not 5/);
  failsAt(t, ['a A \\# 5 C000020101'], 1, /too long for A/);
  failsAt(t, ['a MX \\# 3 000a02'], 1, /too short/);
});

// ---------------------------------------------------------------------------------------------
// Directives

test('$INCLUDE and $GENERATE are not supported; unknown directives are errors', (t) => {
  failsAt(t, ['www A 192.0.2.1', '$INCLUDE other.zone'], 2, /^\$INCLUDE is not supported$/);
  failsAt(t, ['$generate 1-10 host$ A 192.0.2.$'], 1, /^\$GENERATE is not supported$/);
  failsAt(t, ['', '$DATE 2024'], 2, /unknown directive \$DATE/);
  failsAt(t, ['$ORIGIN a.test. b.test.'], 1, /unexpected 'b\.test\.' after \$ORIGIN/);
});

// ---------------------------------------------------------------------------------------------
// SOA, origin and duplicates

test('returned origin: the one in effect at the SOA, else the SOA owner', (t) => {
  t.is(zone(['$ORIGIN example.org.', '@ SOA ns1 host 1 1 1 1 1', '$ORIGIN sub.example.org.', 'x A 192.0.2.1']).origin, 'example.org');
  t.is(parseZone('example.net. SOA ns1.example.net. h.example.net. 1 1 1 1 1\n', { file: 'x' }).origin, 'example.net');
});

test('returned origin without SOA: the origin option, else the first $ORIGIN, else ""', (t) => {
  t.is(zone(['$ORIGIN b.test.', 'x A 192.0.2.1'], { origin: 'a.test' }).origin, 'a.test');
  t.is(zone(['$ORIGIN b.test.', 'x A 192.0.2.1', '$ORIGIN c.test.'], {}).origin, 'b.test');
  t.is(zone(['x.test. A 192.0.2.1'], {}).origin, '');
});

test('identical records are kept once, as in AXFR output ending with the SOA again', (t) => {
  const soa = '@ 3600 IN SOA ns1 host 7 1h 1h 1w 1h';
  const parsed = zone([soa, '@ NS ns1', 'x TXT "a"', 'x TXT "a"', 'x TXT "A"', soa]);
  t.deepEqual(
    parsed.records.map((r) => [r.type, r.origin.line]),
    [
      ['SOA', 1],
      ['NS', 2],
      ['TXT', 3],
      ['TXT', 5],
    ],
  );
  failsAt(t, [soa, '@ SOA ns1 host 8 1h 1h 1w 1h'], 2, /second SOA record \(the first is at line 1\)/);
});

test('an invalid origin option is a TypeError', (t) => {
  t.throws(() => parseZone('', { file: 'x', origin: 'a..b' }), { instanceOf: TypeError, message: /invalid origin option/ });
  t.throws(() => parseZone('', { file: 'x', origin: 'a\\' }), { instanceOf: TypeError, message: /invalid origin option/ });
  t.is(parseZone('', { file: 'x', origin: '.' }).origin, '');
});
