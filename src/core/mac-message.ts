/**
 * The bytes a MacProvider authenticates: the purpose, length-prefixed, then the message. The
 * prefix makes `("a", "bc")` and `("ab", "c")` different, so no purpose can forge another's.
 */
export function macInput(purpose: string, message: Buffer): Buffer {
  const name = Buffer.from(purpose, 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(name.length);
  return Buffer.concat([length, name, message]);
}
