import type { IncomingHttpHeaders } from 'node:http';
import express from 'express';
import fc from 'fast-check';
import { isJsonRequest } from '../../src/adapters/http/front';

/**
 * Both fronts decide whether a PUT or POST declares JSON with isJsonRequest; express's own
 * `req.is('application/json')` (type-is) is what the express app asked before, so the two must
 * agree on every request: the oracle is express itself.
 */
const expressSays = (headers: IncomingHttpHeaders) =>
  Boolean(
    (express.request.is as (this: { headers: IncomingHttpHeaders }, type: string) => unknown).call(
      { headers },
      'application/json',
    ),
  );

const TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json;',
  'application/json ;charset=utf-8',
  ' application/json',
  'application/json\t',
  'application/json; charset="utf-8"',
  'application/json; charset',
  'application/json, text/plain',
  'application/jsonp',
  'application/vnd.api+json',
  'application/*',
  '*/*',
  'text/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'json',
  'application',
  'application/',
  '/json',
  'application/json/x',
  ';',
  '',
  '  ',
  '"application/json"',
];
const FRAMING: IncomingHttpHeaders[] = [
  {},
  { 'content-length': '0' },
  { 'content-length': '17' },
  { 'content-length': '' },
  { 'content-length': ' 3 ' },
  { 'content-length': 'abc' },
  { 'content-length': '1e3' },
  { 'transfer-encoding': 'chunked' },
  { 'transfer-encoding': '' },
];

describe('isJsonRequest answers as express req.is("application/json")', () => {
  it('on listed types, with and without a body', () => {
    for (const type of TYPES) {
      for (const framing of FRAMING) {
        const headers: IncomingHttpHeaders = { ...framing, 'content-type': type };
        expect({ headers, json: isJsonRequest(headers) }).toEqual({ headers, json: expressSays(headers) });
      }
    }
  });

  it('without a Content-Type', () => {
    for (const framing of FRAMING) expect(isJsonRequest(framing)).toBe(expressSays(framing));
  });

  it('on any printable Content-Type and Content-Length', () => {
    const printable = fc.string({ unit: fc.constantFrom(...' \t!"#;=,/*+.-_abcjnopsAJNOS0123456789'), maxLength: 40 });
    fc.assert(
      fc.property(
        fc.oneof(
          printable,
          fc.constantFrom(...TYPES).chain((type) => printable.map((tail) => `${type}${tail}`)),
        ),
        fc.option(fc.oneof(fc.nat().map(String), printable), { nil: undefined }),
        (type, length) => {
          const headers: IncomingHttpHeaders = {
            'content-type': type,
            ...(length !== undefined && { 'content-length': length }),
          };
          expect(isJsonRequest(headers)).toBe(expressSays(headers));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
