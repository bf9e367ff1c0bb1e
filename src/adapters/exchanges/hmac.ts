import { createHash, createHmac } from 'node:crypto';

export function hmacHex(algorithm: 'sha256' | 'sha512', secret: string, data: string): string {
  return createHmac(algorithm, secret).update(data, 'utf8').digest('hex');
}

export function hmacBase64(secret: string, data: string): string {
  return createHmac('sha256', secret).update(data, 'utf8').digest('base64');
}

export function sha512Hex(data: string): string {
  return createHash('sha512').update(data, 'utf8').digest('hex');
}
