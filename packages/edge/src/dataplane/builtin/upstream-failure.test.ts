import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  BackendLostError,
  ClientGoneError,
  classifyUpstreamError,
  InvalidUpstreamResponseError,
} from './upstream-failure.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyUpstreamError', () => {
  it('tells connection failures before and after the request was handed over', () => {
    expect(classifyUpstreamError(coded('ECONNREFUSED'), false)).toEqual({
      kind: 'connect',
      detail: 'ECONNREFUSED',
    });
    expect(classifyUpstreamError(new errors.SocketError('other side closed'), true)).toEqual({
      kind: 'reset',
      detail: 'UND_ERR_SOCKET',
    });
    expect(classifyUpstreamError(new errors.ConnectTimeoutError(), false).kind).toBe('connect_timeout');
    expect(classifyUpstreamError(new errors.HeadersTimeoutError(), true).kind).toBe('timeout');
  });

  it('counts what the backend answered wrongly as an invalid response', () => {
    expect(classifyUpstreamError(new errors.SocketError('bad upgrade'), true)).toEqual({
      kind: 'invalid_response',
      detail: '101 Switching Protocols to a request that asked for no upgrade',
    });
    // What llhttp's errors look like (undici builds them with an `HPE_` code).
    const parser = coded('HPE_INVALID_CONSTANT', 'Expected HTTP/');
    expect(classifyUpstreamError(parser, true)).toEqual({
      kind: 'invalid_response',
      detail: 'Expected HTTP/ (HPE_INVALID_CONSTANT)',
    });
    expect(classifyUpstreamError(new errors.ResponseContentLengthMismatchError(), true).kind).toBe(
      'invalid_response',
    );
    expect(classifyUpstreamError(new errors.HeadersOverflowError(), true).kind).toBe('invalid_response');
    expect(classifyUpstreamError(new InvalidUpstreamResponseError('nope'), true)).toEqual({
      kind: 'invalid_response',
      detail: 'nope',
    });
  });

  it("keeps the edge's own cancellations and closed pools apart from backend failures", () => {
    expect(classifyUpstreamError(new ClientGoneError(), true).kind).toBe('cancelled');
    expect(classifyUpstreamError(new BackendLostError('10.0.0.1:80'), true).kind).toBe('lost');
    expect(classifyUpstreamError(new errors.ClientClosedError(), false).kind).toBe('closed');
    expect(classifyUpstreamError(new errors.InvalidArgumentError('invalid request path'), false)).toEqual({
      kind: 'unforwardable',
      detail: 'invalid request path',
    });
  });
});
