// Target-address checks (SSRF guard). No DNS: dns.promises.lookup is stubbed
// for the whole file, so host names never leave the process.
import { afterEach, beforeEach, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns/promises';
import { syncBuiltinESMExports } from 'node:module';
import { checkTargetUrl, isPrivateAddress } from '../../src/base/targets.js';

// ---- isPrivateAddress ------------------------------------------------------

/** Every IPv4 range the classifier must refuse (IANA special-purpose, not globally reachable). */
const V4_BLOCKED: [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];

const toInt = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
const fromInt = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
const toHex = (ip: string) => {
  const n = toInt(ip);
  return `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
};
const span = ([net, prefix]: [string, number]) => {
  const first = toInt(net);
  return { first, last: first + 2 ** (32 - prefix) - 1 };
};
const inAnyRange = (n: number) => V4_BLOCKED.some((r) => n >= span(r).first && n <= span(r).last);

/** The IPv6 spellings that carry an IPv4 address: mapped and NAT64, dotted and hex. */
const embeddings = (v4: string) => [
  `::ffff:${v4}`,
  `::ffff:${toHex(v4)}`,
  `::FFFF:${toHex(v4).toUpperCase()}`,
  `[::ffff:${v4}]`,
  `64:ff9b::${v4}`,
  `64:ff9b::${toHex(v4)}`,
  `64:FF9B::${toHex(v4).toUpperCase()}`,
];

describe('isPrivateAddress: IPv4', () => {
  for (const range of V4_BLOCKED) {
    const { first, last } = span(range);
    const inside = [first, first + 1, Math.floor((first + last) / 2), last].map(fromInt);
    const outside = [first - 1, last + 1].filter((n) => n >= 0 && n <= 0xffffffff && !inAnyRange(n)).map(fromInt);

    test(`${range[0]}/${range[1]}: ${inside[0]} … ${inside[3]} blocked, ${outside.join(' and ') || 'no public neighbour'} not`, () => {
      for (const ip of inside) assert.equal(isPrivateAddress(ip), true, ip);
      for (const ip of outside) assert.equal(isPrivateAddress(ip), false, ip);
    });

    test(`${range[0]}/${range[1]} inside IPv4-mapped and NAT64 IPv6 addresses`, () => {
      for (const ip of [inside[0], inside[3]]) {
        for (const form of embeddings(ip)) assert.equal(isPrivateAddress(form), true, form);
      }
      for (const ip of outside) {
        for (const form of embeddings(ip)) assert.equal(isPrivateAddress(form), false, form);
      }
    });
  }

  test('well-known internal addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '0.0.0.0',
      '169.254.169.254',
      '10.0.0.1',
      '192.168.1.1',
      '172.17.0.1',
      '100.100.100.200',
      '255.255.255.255',
      '224.0.0.251',
    ]) {
      assert.equal(isPrivateAddress(ip), true, ip);
    }
  });

  test('public addresses pass', () => {
    for (const ip of [
      '8.8.8.8',
      '1.1.1.1',
      '93.184.216.34',
      '140.82.112.3',
      '1.0.0.0',
      '223.255.255.255',
      '100.63.255.255',
      '100.128.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '198.17.255.255',
      '198.20.0.0',
    ]) {
      assert.equal(isPrivateAddress(ip), false, ip);
    }
  });
});

describe('isPrivateAddress: IPv6', () => {
  const blocked: [string, string][] = [
    ['::', 'unspecified'],
    ['0:0:0:0:0:0:0:0', 'unspecified, long form'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback, long form'],
    ['[::1]', 'loopback, bracketed'],
    ['100::', 'discard'],
    ['100::ffff:ffff:ffff:ffff', 'discard, last'],
    ['2001:db8::', 'documentation'],
    ['2001:db8::1', 'documentation'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'documentation, last'],
    ['2001:DB8::1', 'documentation, upper case'],
    ['fc00::', 'unique local, first'],
    ['fc00::1', 'unique local'],
    ['fd00:ec2::254', 'unique local (EC2 metadata over IPv6)'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique local, last'],
    ['fe80::', 'link-local, first'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local with a zone'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local, last'],
    ['FE80::ABCD', 'link-local, upper case'],
    ['ff00::', 'multicast, first'],
    ['ff02::1', 'multicast, all nodes'],
    ['ff05::1:3', 'multicast, site'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast, last'],
    ['0:0:0:0:0:ffff:7f00:1', 'IPv4-mapped loopback, long form'],
    ['0:0:0:0:0:ffff:127.0.0.1', 'IPv4-mapped loopback, long dotted form'],
    ['::ffff:7f00:0001', 'IPv4-mapped, leading zeros'],
    ['::ffff:169.254.169.254', 'IPv4-mapped cloud metadata'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 cloud metadata'],
    // Known gaps of the hand-written block list this replaced (issue 8).
    ['::127.0.0.1', 'IPv4-compatible loopback'],
    ['::7f00:1', 'IPv4-compatible loopback, hex'],
    ['::a00:1', 'IPv4-compatible 10.0.0.1'],
    ['::ffff:0:7f00:1', 'IPv4-translated loopback'],
    ['::ffff:0:a9fe:a9fe', 'IPv4-translated cloud metadata'],
    ['64:ff9b:1::7f00:1', 'local-use NAT64 loopback'],
    ['64:ff9b:1:7f00:1::', 'local-use NAT64 in a /48 layout'],
    ['2002:7f00:1::', '6to4 of loopback'],
    ['2002:a9fe:a9fe::1', '6to4 of cloud metadata'],
    ['2002:c0a8:101::', '6to4 of 192.168.1.1'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo client 127.0.0.1 (inverted)'],
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'Teredo server 10.0.0.1'],
    ['fec0::1', 'deprecated site-local'],
    ['feff::1', 'site-local, last block'],
    ['2001:2::1', 'benchmarking'],
    ['2001:10::1', 'ORCHID'],
    ['3fff::1', 'documentation (3fff::/20)'],
    ['5f00::1', 'segment routing'],
    // Not in 2000::/3, the only block allocated for global unicast.
    ['100:0:0:1::', 'just past discard /64, unallocated'],
    ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'just before unique local, unallocated'],
    ['fe00::', 'between unique local and link-local, unallocated'],
    ['4000::1', 'unallocated'],
    ['1::1', 'unallocated'],
  ];
  for (const [ip, what] of blocked) {
    test(`${ip} (${what}) is blocked`, () => assert.equal(isPrivateAddress(ip), true));
  }

  // Edges of the ranges above, and public addresses.
  const open: [string, string][] = [
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', 'just before documentation'],
    ['2001:db9::', 'just past documentation'],
    ['2000::1', 'first block of global unicast'],
    ['3ffe:ffff::1', 'near the end of global unicast, before 3fff::/20'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:830::200e', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['::ffff:8.8.8.8', 'IPv4-mapped public'],
    ['::ffff:808:808', 'IPv4-mapped public, hex'],
    ['::ffff:0:808:808', 'IPv4-translated public'],
    ['64:ff9b::1.1.1.1', 'NAT64 public'],
    ['64:ff9b::101:101', 'NAT64 public, hex'],
    ['64:ff9b:1::808:808', 'local-use NAT64 (/96 layout) public'],
    ['2002:808:808::1', '6to4 of a public address'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'Teredo: public server, public client 8.8.8.8 (inverted)'],
  ];
  for (const [ip, what] of open) {
    test(`${ip} (${what}) passes`, () => assert.equal(isPrivateAddress(ip), false));
  }
});

test('isPrivateAddress only classifies IP addresses: names and junk are not addresses', () => {
  for (const s of ['localhost', 'example.com', '', '::ffff:', '1.2.3', '1.2.3.4.5', '256.0.0.1', 'fe80::1::2']) {
    assert.equal(isPrivateAddress(s), false, JSON.stringify(s));
  }
});

// ---- checkTargetUrl --------------------------------------------------------

type Lookup = (host: string, opts: unknown) => Promise<{ address: string; family: number }[]>;
const notFound: Lookup = async (host) => {
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
};
let lookup: ReturnType<typeof mock.fn<Lookup>>;

/** Replaces dns.promises.lookup, the function targets.ts imported, for one test. */
function resolveWith(impl: Lookup) {
  lookup.mock.mockImplementation(impl);
}

beforeEach(() => {
  lookup = mock.fn<Lookup>(notFound);
  mock.method(dns, 'lookup', lookup);
  syncBuiltinESMExports();
});
afterEach(() => {
  mock.restoreAll();
  syncBuiltinESMExports();
});

const refused = async (url: string, allowPrivate: boolean, message: string | RegExp) => {
  const r = await checkTargetUrl(url, allowPrivate);
  assert.equal(r.ok, false, `${url} was accepted (allowPrivate=${allowPrivate})`);
  if (typeof message === 'string') assert.equal((r as { message: string }).message, message, url);
  else assert.match((r as { message: string }).message, message, url);
};
const accepted = async (url: string, allowPrivate: boolean) => {
  assert.deepEqual(await checkTargetUrl(url, allowPrivate), { ok: true }, `${url} (allowPrivate=${allowPrivate})`);
};

describe('checkTargetUrl', () => {
  test('not a URL', async () => {
    for (const allowPrivate of [false, true]) {
      for (const url of ['', 'not a url', 'example.com/hook', 'https://', '//example.com/']) {
        await refused(url, allowPrivate, 'targetUrl is not a valid URL');
      }
    }
  });

  test('credentials in the URL are refused in both modes', async () => {
    for (const allowPrivate of [false, true]) {
      for (const url of [
        'https://user:pass@hooks.invalid/',
        'https://user@hooks.invalid/',
        'https://:pw@hooks.invalid/',
        'http://u:p@127.0.0.1/',
      ]) {
        await refused(url, allowPrivate, 'targetUrl must not contain credentials');
      }
    }
    assert.equal(lookup.mock.callCount(), 0);
  });

  test('only https by default', async () => {
    for (const url of [
      'http://hooks.invalid/',
      'http://8.8.8.8/',
      'ftp://hooks.invalid/',
      'ws://hooks.invalid/',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'data:text/plain,x',
    ]) {
      await refused(url, false, 'targetUrl must use https');
    }
  });

  test('http or https when private targets are allowed, and nothing else', async () => {
    for (const url of ['ftp://hooks.invalid/', 'ws://127.0.0.1/', 'file:///etc/passwd', 'gopher://127.0.0.1:6379/']) {
      await refused(url, true, 'targetUrl must use https (or http when private targets are allowed)');
    }
  });

  test('private targets allowed: loopback, private and link-local pass without a lookup', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost:3000/',
      'https://localhost/',
      'http://[::1]/',
      'http://10.0.0.5/',
      'http://169.254.169.254/',
      'https://hooks.invalid/',
    ]) {
      await accepted(url, true);
    }
    assert.equal(lookup.mock.callCount(), 0);
  });

  test('private and reserved IP literals are refused, naming the address', async () => {
    const cases: [string, string][] = [
      ['https://127.0.0.1/', '127.0.0.1'],
      ['https://127.0.0.1:8443/hook?x=1', '127.0.0.1'],
      ['https://127.0.0.1./', '127.0.0.1'],
      ['https://127.1/', '127.0.0.1'],
      ['https://2130706433/', '127.0.0.1'],
      ['https://0x7f.0.0.1/', '127.0.0.1'],
      ['https://0/', '0.0.0.0'],
      ['https://10.1.2.3/', '10.1.2.3'],
      ['https://169.254.169.254/latest/meta-data/', '169.254.169.254'],
      ['https://192.168.0.1/', '192.168.0.1'],
      ['https://[::1]/', '::1'],
      ['https://[::]/', '::'],
      ['https://[fe80::1]/', 'fe80::1'],
      ['https://[fd00::1]:8443/', 'fd00::1'],
      ['https://[::ffff:127.0.0.1]/', '::ffff:7f00:1'],
      ['https://[0:0:0:0:0:ffff:10.0.0.1]/', '::ffff:a00:1'],
      ['https://[64:ff9b::169.254.169.254]/', '64:ff9b::a9fe:a9fe'],
      ['https://[64:ff9b:0:0:0:0:10.0.0.1]/', '64:ff9b::a00:1'],
      // IPv6 forms the hand-written block list let through (issue 8).
      ['https://[::127.0.0.1]/', '::7f00:1'],
      ['https://[::a00:1]/', '::a00:1'],
      ['https://[::ffff:0:7f00:1]/', '::ffff:0:7f00:1'],
      ['https://[64:ff9b:1::7f00:1]/', '64:ff9b:1::7f00:1'],
      ['https://[2002:7f00:1::]/', '2002:7f00:1::'],
      ['https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/', '2001:0:4136:e378:8000:63bf:80ff:fffe'],
      ['https://[fec0::1]/', 'fec0::1'],
    ];
    for (const [url, address] of cases) {
      await refused(url, false, `targetUrl points to a private or reserved address (${address})`);
    }
    assert.equal(lookup.mock.callCount(), 0, 'IP literals are not looked up');
  });

  test('public IP literals pass without a lookup', async () => {
    for (const url of ['https://8.8.8.8/', 'https://1.1.1.1:8443/hook', 'https://[2606:4700:4700::1111]/', 'https://[::ffff:8.8.8.8]/']) {
      await accepted(url, false);
    }
    assert.equal(lookup.mock.callCount(), 0);
  });

  test('localhost and its subdomains, with or without trailing dots, in any case', async () => {
    for (const url of [
      'https://localhost/',
      'https://LOCALHOST:8443/',
      'https://localhost./',
      'https://localhost../',
      'https://api.localhost/',
      'https://a.b.Localhost./',
    ]) {
      await refused(url, false, 'targetUrl points to localhost');
    }
    assert.equal(lookup.mock.callCount(), 0);
  });

  test('a host of only dots has no host name', async () => {
    for (const url of ['https://./', 'https://../']) await refused(url, false, 'targetUrl has no host name');
    assert.equal(lookup.mock.callCount(), 0);
  });

  test('names that merely contain "localhost" are looked up, not refused', async () => {
    for (const url of ['https://localhost.invalid/', 'https://notlocalhost.invalid/', 'https://localhost-api.invalid/']) {
      await accepted(url, false);
    }
    assert.equal(lookup.mock.callCount(), 3);
  });

  test('a host that does not resolve is accepted (checked again at delivery)', async () => {
    await accepted('https://hooks.invalid/', false);
    assert.equal(lookup.mock.callCount(), 1);
  });

  test('the lookup gets the bare, lower-cased host and asks for every address', async () => {
    await accepted('https://Hooks.Example.INVALID./path', false);
    assert.deepEqual(lookup.mock.calls[0].arguments, ['hooks.example.invalid', { all: true, verbatim: true }]);
  });

  test('a host resolving to any private address is refused, naming host and address', async () => {
    resolveWith(async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ]);
    await refused('https://hooks.invalid/', false, 'targetUrl host hooks.invalid resolves to a private or reserved address (10.0.0.7)');
    resolveWith(async () => [{ address: '::ffff:169.254.169.254', family: 6 }]);
    await refused('https://rebind.invalid/', false, /resolves to a private or reserved address \(::ffff:169\.254\.169\.254\)/);
    resolveWith(async () => [{ address: 'fd12::1', family: 6 }]);
    await refused('https://v6.invalid/', false, /^targetUrl host v6\.invalid resolves .*\(fd12::1\)$/);
    for (const address of [
      '::7f00:1',
      '::ffff:0:a9fe:a9fe',
      '64:ff9b:1::a00:1',
      '2002:7f00:1::',
      '2001:0:4136:e378:8000:63bf:80ff:fffe',
      'fec0::1',
    ]) {
      resolveWith(async () => [
        { address: '93.184.216.34', family: 4 },
        { address, family: 6 },
      ]);
      await refused(
        'https://embedded.invalid/',
        false,
        `targetUrl host embedded.invalid resolves to a private or reserved address (${address})`,
      );
    }
  });

  test('a host resolving only to public addresses passes', async () => {
    resolveWith(async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
    await accepted('https://hooks.invalid/', false);
  });
});
