import { describe, expect, it } from 'vitest';
import { assertValidName, instanceId, isValidName, serviceNameFromImage } from './names.js';

describe('names', () => {
  it('accepts the key alphabet and refuses slashes, spaces and dot paths', () => {
    expect(isValidName('web-1.eu:8080_a')).toBe(true);
    for (const bad of ['', 'a/b', 'a b', '.', '..', 'x\n', 'é', 'a'.repeat(254)])
      expect(isValidName(bad)).toBe(false);
  });

  it('throws an error with a stable code', () => {
    expect(() => assertValidName('service name', 'a/b')).toThrow(
      expect.objectContaining({ code: 'WHARF_INVALID_NAME' }),
    );
  });

  it('builds registrator-style instance ids', () => {
    expect(instanceId('host1', '/web-1', 8080)).toBe('host1:web-1:8080');
    expect(instanceId('host1', 'dns', 53, 'udp')).toBe('host1:dns:53:udp');
    expect(() => instanceId('host 1', 'web', 80)).toThrow(
      expect.objectContaining({ code: 'WHARF_INVALID_NAME' }),
    );
  });

  it('derives the service name from the image base name', () => {
    expect(serviceNameFromImage('acme/web:1.4')).toBe('web');
    expect(serviceNameFromImage('registry:5000/acme/api@sha256:abc')).toBe('api');
    expect(serviceNameFromImage('redis')).toBe('redis');
  });
});
