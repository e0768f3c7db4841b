import type { HostileCase, HostileFamily } from '../../support/hostile-case.js';

/**
 * defparam's smuggler.py (github.com/defparam/smuggler): the Transfer-Encoding mutations of
 * `configs/default.py`, `configs/doubles.py` and `configs/exhaustive.py`, each sent as the two
 * probes of `smuggler.py` (`_check_tecl`, `_check_clte`) with its default method, POST, in the
 * request template of the configs (`render_template`: request line, gadget, Host, User-Agent,
 * Content-type, Content-Length). A gadget in several configs is sent once.
 *
 * smuggler.py writes each payload with `str.encode()`, so a mutation character from 0x80 up goes
 * on the wire as its two UTF-8 bytes; so it does here.
 */

const SPACES = [0x1, 0x4, 0x8, 0x9, 0xa, 0xb, 0xc, 0xd, 0x1f, 0x20, 0x7f, 0xa0, 0xff];

const character = (code: number) => String.fromCharCode(code);
const hex = (code: number) => code.toString(16).padStart(2, '0');
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, index) => from + index);

/** configs/default.py */
function defaults(): [string, string][] {
  const mutations: [string, string][] = [
    ['nameprefix1', ' Transfer-Encoding: chunked'],
    ['tabprefix1', 'Transfer-Encoding:\tchunked'],
    ['tabprefix2', 'Transfer-Encoding\t:\tchunked'],
    ['space1', 'Transfer-Encoding : chunked'],
  ];
  for (const code of SPACES) {
    const c = character(code);
    mutations.push(
      [`midspace-${hex(code)}`, `Transfer-Encoding:${c}chunked`],
      [`postspace-${hex(code)}`, `Transfer-Encoding${c}: chunked`],
      [`prespace-${hex(code)}`, `${c}Transfer-Encoding: chunked`],
      [`endspace-${hex(code)}`, `Transfer-Encoding: chunked${c}`],
      [`xprespace-${hex(code)}`, `X: X${c}Transfer-Encoding: chunked`],
      [`endspacex-${hex(code)}`, `Transfer-Encoding: chunked${c}X: X`],
      [`rxprespace-${hex(code)}`, `X: X\r${c}Transfer-Encoding: chunked`],
      [`xnprespace-${hex(code)}`, `X: X${c}\nTransfer-Encoding: chunked`],
      [`endspacerx-${hex(code)}`, `Transfer-Encoding: chunked\r${c}X: X`],
      [`endspacexn-${hex(code)}`, `Transfer-Encoding: chunked${c}\nX: X`],
    );
  }
  return mutations;
}

/** configs/doubles.py */
function doubles(): [string, string][] {
  const mutations: [string, string][] = [];
  for (const code of [...range(0x1, 0x21), ...range(0x7f, 0x100)]) {
    const c = character(code);
    const h = hex(code);
    mutations.push(
      [`${h}-${h}-XX-XX`, `${c}Transfer-Encoding${c}: chunked`],
      [`${h}-XX-${h}-XX`, `${c}Transfer-Encoding:${c}chunked`],
      [`${h}-XX-XX-${h}`, `${c}Transfer-Encoding: chunked${c}`],
      [`XX-${h}-${h}-XX`, `Transfer-Encoding${c}:${c}chunked`],
      [`XX-${h}-XX-${h}`, `Transfer-Encoding${c}: chunked${c}`],
      [`XX-XX-${h}-${h}`, `Transfer-Encoding:${c}chunked${c}`],
    );
  }
  return mutations;
}

/** configs/exhaustive.py */
function exhaustive(): [string, string][] {
  const mutations: [string, string][] = [
    ['nameprefix1', ' Transfer-Encoding: chunked'],
    ['tabprefix1', 'Transfer-Encoding:\tchunked'],
    ['tabprefix2', 'Transfer-Encoding\t:\tchunked'],
    ['spacejoin1', 'Transfer Encoding: chunked'],
    ['underjoin1', 'Transfer_Encoding: chunked'],
    ['smashed', 'Transfer Encoding:chunked'],
    ['space1', 'Transfer-Encoding : chunked'],
    ['valueprefix1', 'Transfer-Encoding:  chunked'],
    ['vertprefix1', 'Transfer-Encoding:\u000Bchunked'],
    ['commaCow', 'Transfer-Encoding: chunked, cow'],
    ['cowComma', 'Transfer-Encoding: cow, chunked'],
    ['contentEnc', 'Content-Encoding: chunked'],
    ['linewrapped1', 'Transfer-Encoding:\n chunked'],
    ['quoted', 'Transfer-Encoding: "chunked"'],
    ['aposed', "Transfer-Encoding: 'chunked'"],
    ['lazygrep', 'Transfer-Encoding: chunk'],
    ['sarcasm', 'TrAnSFer-EnCODinG: cHuNkeD'],
    ['yelling', 'TRANSFER-ENCODING: CHUNKED'],
    ['0dsuffix', 'Transfer-Encoding: chunked\r'],
    ['tabsuffix', 'Transfer-Encoding: chunked\t'],
    ['revdualchunk', 'Transfer-Encoding: cow\r\nTransfer-Encoding: chunked'],
    ['0dspam', 'Transfer\r-Encoding: chunked'],
    ['nested', 'Transfer-Encoding: cow chunked bar'],
    ['spaceFF', 'Transfer-Encoding:\u00FFchunked'],
    ['accentCH', 'Transfer-Encoding: ch\u0096nked'],
    ['accentTE', 'Transf\u0082r-Encoding: chunked'],
    ['x-rout', 'X:X\rTransfer-Encoding: chunked'],
    ['x-nout', 'X:X\nTransfer-Encoding: chunked'],
  ];
  for (const code of [...range(0x1, 0x20), ...range(0x7f, 0x100)]) {
    const c = character(code);
    mutations.push(
      [`midspace-${hex(code)}`, `Transfer-Encoding:${c}chunked`],
      [`postspace-${hex(code)}`, `Transfer-Encoding${c}: chunked`],
      [`prespace-${hex(code)}`, `${c}Transfer-Encoding: chunked`],
      [`endspace-${hex(code)}`, `Transfer-Encoding: chunked${c}`],
    );
  }
  return mutations;
}

/** The two probes of smuggler.py: a TE.CL and a CL.TE desync each leave the other side waiting. */
const PROBES = [
  // _check_tecl: a front end that reads chunked stops after `0\r\n\r\n`; "X" is left over.
  { name: 'tecl', contentLength: 6, body: '0\r\n\r\nX' },
  // _check_clte: a front end that reads Content-Length forwards `1\r\nZ`; a chunked back end waits.
  { name: 'clte', contentLength: 4, body: '1\r\nZ\r\n0\r\n\r\n' },
];

/**
 * Where exactly one outcome is right: a gadget that is a Transfer-Encoding field (whatever
 * follows it) frames the body next to Content-Length — refused, by this project's decision;
 * 400 for both headers, 501 for a transfer coding other than chunked (422 from HAProxy for a
 * coding list it cannot parse): which one a data plane checks first is its own affair. Whitespace between a field name and its colon
 * must be answered 400 (RFC 9112 §5.1). A field line that starts with whitespace right after
 * the request line must be refused or dropped (RFC 9112 §2.2), never forwarded.
 */
function expectation(gadget: string): HostileCase['expect'] {
  if (/^transfer-encoding:/i.test(gadget)) return { outcome: 'refused', statuses: [400, 422, 501] };
  if (/^transfer-encoding[ \t]+:/i.test(gadget)) return { outcome: 'refused', statuses: [400] };
  if (/^[ \t]/.test(gadget)) return { outcome: ['refused', 'normalised'] };
  return undefined;
}

function gadgetField(gadget: string): HostileCase['gadget'] {
  const colon = gadget.indexOf(':');
  if (colon <= 0) return undefined;
  const value = gadget.slice(colon + 1).split(/\r\n/)[0]!;
  return { name: gadget.slice(0, colon), value: value.replace(/^[ \t]+|[ \t]+$/g, '') };
}

function cases(): HostileCase[] {
  const seen = new Set<string>();
  const all: HostileCase[] = [];
  const configs: [string, [string, string][]][] = [
    ['default', defaults()],
    ['doubles', doubles()],
    ['exhaustive', exhaustive()],
  ];
  for (const [config, mutations] of configs) {
    for (const [name, mutation] of mutations) {
      // On the wire as smuggler.py sends it: UTF-8.
      const gadget = Buffer.from(mutation, 'utf8').toString('latin1');
      if (seen.has(gadget)) continue;
      seen.add(gadget);
      for (const probe of PROBES) {
        const head =
          `POST /{{id}}/?cb=${all.length} HTTP/1.1\r\n${gadget}\r\nHost: {{host}}\r\n` +
          'User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/78.0.3904.87 Safari/537.36\r\n' +
          'Content-type: application/x-www-form-urlencoded; charset=UTF-8\r\n' +
          `Content-Length: ${probe.contentLength}\r\n\r\n`;
        const gadgetOf = gadgetField(gadget);
        all.push({
          name: `${config}/${name}/${probe.name}`,
          payload: head + probe.body,
          ...(gadgetOf ? { gadget: gadgetOf } : {}),
          ...(expectation(gadget) ? { expect: expectation(gadget) } : {}),
        });
      }
    }
  }
  return all;
}

export const smuggler: HostileFamily = {
  name: 'smuggler.py',
  source:
    'github.com/defparam/smuggler: configs/default.py, configs/doubles.py, configs/exhaustive.py, smuggler.py',
  cases: cases(),
};
