'use strict';
// How the module behaves in hosts that differ from the default harness: host polyfills present,
// a fetch that ignores abort signals and timeouts, and missing host enums / HttpResponse.
const h = require('./helpers');
const { assert } = h;
const { TextEncoder: NodeTextEncoder, TextDecoder: NodeTextDecoder } = require('util');

describe('host compatibility', function () {
  this.timeout(15000);
  const c = h.closer();
  afterEach(() => c.closeAll());

  it('uses the host TextEncoder/TextDecoder when present and leaves them in place', async () => {
    const used = { enc: 0, dec: 0 };
    class HostTextEncoder extends NodeTextEncoder { constructor() { super(); used.enc++; } }
    class HostTextDecoder extends NodeTextDecoder { constructor(...a) { super(...a); used.dec++; } }
    const mod = h.loadModule({ settings: { provider: 'oktell', oktellUrl: 'http://h:4055' }, globals: { TextEncoder: HostTextEncoder, TextDecoder: HostTextDecoder } });
    assert.ok(used.enc >= 1 && used.dec >= 1, JSON.stringify(used));
    const vm = require('vm');
    assert.strictEqual(vm.runInContext('TextEncoder', mod.context), HostTextEncoder);
    assert.strictEqual(vm.runInContext('TextDecoder', mod.context), HostTextDecoder);
  });

  if (h.BUILD === 'wasm') {
    it('copies the embedded core with the host TextEncoder.encodeInto when it has one', async () => {
      const copies = [];
      class HostTextEncoder extends NodeTextEncoder {
        encodeInto(text, into) { const r = super.encodeInto(text, into); copies.push({ chars: text.length, ...r }); return r; }
      }
      const mod = h.loadModule({ settings: { provider: 'rostelecom', rtClientId: 'id', rtSignKey: '' }, globals: { TextEncoder: HostTextEncoder, TextDecoder: NodeTextDecoder } });
      const core = copies.filter((c) => c.chars > 100000);
      assert.strictEqual(core.length, 1, JSON.stringify(copies));
      assert.strictEqual(core[0].written, core[0].chars);
      const r = await mod.fns.VoipTestConnection();
      assert.match(r.failReason, h.say({ en: /rtSignKey \(«Ключ подписи»\)/, ru: /«Ключ подписи» \(rtSignKey\)/ }));
    });

    for (const [how, encodeInto] of [
      ['has no encodeInto', undefined],
      ['throws from encodeInto', function () { throw new TypeError('not here'); }],
      ['writes nothing', function () { return { read: 0, written: 0 }; }],
      ['answers with no result', function () { return undefined; }],
    ]) {
      it(`loads its core by its own copy when the host TextEncoder ${how}`, async () => {
        class HostTextEncoder { encode(t) { return new NodeTextEncoder().encode(t); } }
        if (encodeInto) HostTextEncoder.prototype.encodeInto = encodeInto;
        const mod = h.loadModule({ settings: { provider: 'rostelecom', rtClientId: 'id', rtSignKey: '' }, globals: { TextEncoder: HostTextEncoder, TextDecoder: NodeTextDecoder } });
        const r = await mod.fns.VoipTestConnection();
        assert.match(r.failReason, h.say({ en: /rtSignKey \(«Ключ подписи»\)/, ru: /«Ключ подписи» \(rtSignKey\)/ }));
      });
    }
  }

  it('works without any TextEncoder/TextDecoder in the host (bare V8 8.4), with Cyrillic text both ways', async () => {
    const vm = require('vm');
    const mod = h.loadModule({ settings: { provider: 'rostelecom', rtClientId: 'id', rtSignKey: '' } });
    assert.strictEqual(vm.runInContext('typeof TextEncoder', mod.context), 'undefined');
    const r = await mod.fns.VoipTestConnection();
    assert.match(r.failReason, h.say({ en: /rtSignKey \(«Ключ подписи»\)/, ru: /«Ключ подписи» \(rtSignKey\)/ }));
  });

  it('enforces requestTimeoutSec itself when the host fetch ignores both signal and timeout', async () => {
    const okt = c.add(await h.startOktell({ auth: { mode: 'none' } }));
    okt.mode = 'hang';
    const base = h.loadModule({}).context.fetch;
    const seen = [];
    const stubborn = (url, init) => { seen.push(Object.keys(init)); return base(url, { method: init.method, headers: init.headers }); };
    const mod = h.loadModule({ settings: h.oktellSettings(okt, { requestTimeoutSec: 1 }), fetch: stubborn });
    const started = Date.now();
    const r = await mod.fns.VoipTestConnection();
    assert.strictEqual(r.success, false);
    assert.match(r.failReason, h.say({ en: /within 1 s/, ru: /за 1 с:/ }));
    assert.ok(Date.now() - started < 3000);
    assert.ok(seen[0].includes('timeout'), 'the polyfill timeout option is passed too');
  });

  it('returns a plain {status, headers, body} response when the host has no HttpResponse', async () => {
    const mod = h.loadModule({ settings: { provider: 'rostelecom', rtClientId: 'id', rtSignKey: 'key' }, httpResponse: false });
    const r = await mod.fns.VoipParseWebhookRequest({ method: 'POST', headers: {}, body: '{"session_id":"x","state":"new"}' });
    // Unsigned, so the core refuses it: the refusal must still reach the PBX as a plain response.
    assert.strictEqual(r.response.status, 403);
    assert.strictEqual(typeof r.response.body, 'string');
    assert.ok(!('event' in r) && !('callRecord' in r));
  });

  for (const [how, opts] of [
    ['blocked in the sandbox (codeGeneration: { wasm: false })', { contextOptions: { codeGeneration: { strings: false, wasm: false } } }],
    ['missing from the host', { globals: { WebAssembly: undefined } }],
  ]) {
    if (h.BUILD === 'nowasm') {
      it(`when WebAssembly is ${how}, the no-wasm build works`, async () => {
        const mod = h.loadModule(Object.assign({ settings: { provider: 'rostelecom', rtApiUrl: `http://127.0.0.1:${await h.closedPort()}`, rtClientId: 'id', rtSignKey: h.SECRETS.rtSignKey } }, opts));
        const r = await mod.fns.VoipTestConnection();
        assert.match(r.failReason, h.say({ en: /^Cannot reach the Rostelecom/, ru: /^Нет связи: API ВАТС Ростелеком/ }));
      });
      continue;
    }
    it(`when WebAssembly is ${how}, every function names the cause and the no-wasm build`, async () => {
      const mod = h.loadModule(Object.assign({ settings: { provider: 'rostelecom', rtClientId: 'id', rtSignKey: h.SECRETS.rtSignKey }, warmUp: false }, opts));
      const cause = how.startsWith('blocked')
        ? h.say({ en: /WebAssembly is blocked in its script sandbox/, ru: /WebAssembly заблокирован в песочнице его сценариев/ })
        : h.say({ en: /its scripts have no WebAssembly/, ru: /в его сценариях нет WebAssembly/ });
      const r = await mod.fns.VoipTestConnection();
      assert.strictEqual(r.success, false);
      for (const text of [r.failReason]) {
        assert.match(text, h.say({ en: /^elma365-voip cannot start on this ELMA365 server/, ru: /^elma365-voip не может запуститься на этом сервере ELMA365/ }));
        assert.match(text, cause);
        assert.match(text, /elma365-voip\.nowasm\.module\.ts/);
        h.assertNoSecret(text);
      }
      const calls = [
        () => mod.fns.VoipGetMembers(), () => mod.fns.VoipGenerateCall('101', '+79161234567'),
        () => mod.fns.VoipParseWebhookRequest({ method: 'POST', headers: {}, body: '{}' }),
        () => mod.fns.VoipGetCallLink({}), () => mod.fns.VoipOnWebhookUpdated('https://x'),
      ];
      for (const call of calls) await assert.rejects(call(), (e) => cause.test(e.message) && /nowasm/.test(e.message));
    });
  }

  if (h.BUILD !== 'nowasm') {
    // The loader decodes the packed core in parts, in a loop: damage anywhere in the embedded text must end that
    // loop with the module's own fault, never hang it, pose as a network problem, or as WebAssembly being blocked.
    const fs = require('fs');
    const os = require('os');
    const path = require('path');
    const { MODULE_TS } = require('../harness/host');
    const script = fs.readFileSync(MODULE_TS, 'utf8');
    const text = /'(?:[^'\\\n]|\\.){20000,}'/.exec(script);
    for (const [how, damage] of [
      ['one character changed', (t, at) => t.slice(0, at) + (t[at] === 'A' ? 'B' : 'A') + t.slice(at + 1)],
      ['40 characters changed', (t, at) => t.slice(0, at) + 'A'.repeat(40) + t.slice(at + 40)],
      ['cut short', (t, at) => t.slice(0, at) + "'"],
    ]) {
      it(`a damaged embedded core (${how}) is the module's own fault, named at once`, async () => {
        assert.ok(text, 'the module script embeds its core as one long string');
        const at = text.index + Math.floor(text[0].length * 0.6);
        const bad = script.slice(0, text.index) + damage(text[0], at - text.index) + script.slice(text.index + text[0].length);
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'elma365-voip-')), 'damaged.module.ts');
        fs.writeFileSync(file, bad);
        const mod = h.loadModule({ source: file, settings: { provider: 'rostelecom', rtClientId: 'id', rtSignKey: h.SECRETS.rtSignKey }, warmUp: false });
        const r = await mod.fns.VoipTestConnection();
        assert.strictEqual(r.success, false);
        assert.match(r.failReason, h.say({ en: /^elma365-voip: internal error while loading the module's core \(not a network or PBX problem\)/, ru: /^elma365-voip: внутренняя ошибка при загрузке ядра модуля \(не сеть и не АТС\)/ }));
        assert.match(r.failReason, /the embedded core is damaged/);
        assert.doesNotMatch(r.failReason, /blocked|заблокирован|нет WebAssembly|no WebAssembly/);
        h.assertNoSecret(r.failReason);
        await assert.rejects(mod.fns.VoipGetMembers(), /the embedded core is damaged/);
      });
    }
  }
});
