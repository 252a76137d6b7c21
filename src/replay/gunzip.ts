import * as zlib from 'zlib';

/** A defect of gzip input that loses nothing decodable (trailing bytes after the last member). */
export type GzipNotice = (message: string) => void;

/** An error of the gzip data, with the compressed byte offset where it was found. */
export class GzipError extends Error {
  constructor(message: string, public readonly code: string, public readonly offset: number) {
    super(message);
    this.name = 'GzipError';
  }
}

/** zlib.crc32 (Node 20.15 and later); without it the CRC of a member is not checked, its length still is. */
const crc32: ((data: Buffer, value?: number) => number) | undefined = (zlib as any).crc32;

const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** Whether the header flag byte has the bit `bit` (a power of two) set. */
function hasFlag(flags: number, bit: number): boolean {
  return Math.floor(flags / bit) % 2 === 1;
}

/**
 * Streaming gzip decoder that reads member by member, as `zcat` does:
 * concatenated members are decoded in turn, and bytes after the last member
 * that are not another member are reported through `notice` (zero padding is
 * ignored silently) after everything before them has been delivered. Node's
 * `Gunzip` instead fails on such bytes and drops the output of the last write.
 *
 * Each member's header is parsed here and its deflate body is decoded by
 * `zlib.InflateRaw`, which stops at the end of the body and tells how many
 * bytes it consumed; the trailer's length (ISIZE) and CRC-32 (where Node has zlib.crc32) are checked.
 *
 * @throws GzipError (code Z_BUF_ERROR) when the data ends inside a member,
 * (code Z_DATA_ERROR) when a member is corrupt
 */
export async function* gunzipMembers(src: AsyncIterable<Buffer>, notice: GzipNotice): AsyncGenerator<Buffer> {
  const it = src[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0); // compressed bytes not consumed yet
  let offset = 0; // absolute offset of buf[0]
  let eof = false;
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    for (;;) {
      const r = await it.next();
      if (r.done) {
        eof = true;
        return false;
      }
      if (r.value.length === 0) continue;
      buf = buf.length === 0 ? r.value : Buffer.concat([buf, r.value]);
      return true;
    }
  };
  const need = async (n: number): Promise<boolean> => {
    while (buf.length < n) if (!(await more())) return false;
    return true;
  };
  const consume = (n: number): void => {
    buf = buf.subarray(n);
    offset += n;
  };
  const truncated = (where: string): GzipError => new GzipError(`the gzip data is truncated (it ends inside ${where} at byte ${offset + buf.length})`, 'Z_BUF_ERROR', offset + buf.length);

  for (let member = 0; ; member++) {
    if (!(await need(1))) {
      if (member === 0) throw truncated('the header of member 1');
      return;
    }
    if (member > 0 && (buf[0] !== 0x1f || ((await need(2)) && buf[1] !== 0x8b) || buf.length < 2)) {
      // Not another member: zeros are padding; anything else is reported, as zcat warns about it.
      const start = offset;
      let nonZero = false;
      do {
        if (!nonZero && buf.some(b => b !== 0)) nonZero = true;
        consume(buf.length);
      } while (await more());
      if (nonZero) notice(`${offset - start} trailing byte(s) after the gzip data (from byte ${start}) are not gzip and were ignored; every record before them was read`);
      return;
    }
    // header
    const headerStart = offset;
    const where = `the header of member ${member + 1}`;
    if (!(await need(10))) throw truncated(where);
    if (buf[0] !== 0x1f || buf[1] !== 0x8b) throw new GzipError(`not gzip data at byte ${offset}`, 'Z_DATA_ERROR', offset);
    if (buf[2] !== 8) throw new GzipError(`unknown gzip compression method ${buf[2]} at byte ${offset + 2}`, 'Z_DATA_ERROR', offset + 2);
    const flags = buf[3];
    let pos = 10;
    if (hasFlag(flags, FEXTRA)) {
      if (!(await need(pos + 2))) throw truncated(where);
      pos += 2 + buf.readUInt16LE(pos);
      if (!(await need(pos))) throw truncated(where);
    }
    for (const flag of [FNAME, FCOMMENT]) {
      if (hasFlag(flags, flag)) {
        for (;;) {
          const z = buf.indexOf(0, pos);
          if (z >= 0) {
            pos = z + 1;
            break;
          }
          if (!(await more())) throw truncated(where);
        }
      }
    }
    if (hasFlag(flags, FHCRC)) pos += 2;
    if (!(await need(pos))) throw truncated(where);
    consume(pos);

    // deflate body
    // 1 MiB of output per chunk, like the file reads: fewer, larger chunks for the splitter and the async iteration
    const inflate = zlib.createInflateRaw({ chunkSize: 1024 * 1024 });
    const out: Buffer[] = [];
    let ended = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const signal = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    inflate.on('data', (d: Buffer) => {
      out.push(d);
      signal();
    });
    inflate.on('end', () => {
      ended = true;
      signal();
    });
    inflate.on('error', e => {
      failure = e;
      signal();
    });
    let written = 0; // bytes handed to inflate
    let last: Buffer = Buffer.alloc(0); // the last piece handed over
    let size = 0; // decompressed bytes of this member
    let crc = 0;
    let inputDone = false;
    const feed = (): void => {
      last = buf;
      written += buf.length;
      inflate.write(buf, () => {
        fed = true;
        signal();
      });
      consume(buf.length);
    };
    let fed = false;
    if (buf.length > 0) feed();
    else fed = true;
    for (;;) {
      while (out.length > 0) {
        const d = out.shift()!;
        size += d.length;
        if (crc32) crc = crc32(d, crc);
        yield d;
      }
      if (failure) {
        if ((failure as any).code === 'Z_BUF_ERROR') throw truncated(`member ${member + 1}`);
        throw new GzipError(`corrupt gzip data in member ${member + 1} (${(failure as any).message ?? failure})`, (failure as any).code ?? 'Z_DATA_ERROR', headerStart);
      }
      if (ended) break;
      if (fed && !inputDone) {
        fed = false;
        if (await more()) {
          feed();
        } else {
          inputDone = true;
          inflate.end();
        }
        continue;
      }
      if (inputDone && fed) {
        // all input handed over and processed, and no end: the member is cut short
        await new Promise<void>(resolve => setImmediate(resolve));
        if (!ended && out.length === 0 && !failure) {
          inflate.destroy();
          throw truncated(`member ${member + 1}`);
        }
        continue;
      }
      await new Promise<void>(resolve => (wake = resolve));
    }
    // the bytes handed over but not consumed follow the deflate body
    const unused = written - inflate.bytesWritten;
    if (unused > 0) {
      buf = buf.length > 0 ? Buffer.concat([last.subarray(last.length - unused), buf]) : last.subarray(last.length - unused);
      offset -= unused;
    }
    // trailer: CRC32, ISIZE
    if (!(await need(8))) throw truncated(`the trailer of member ${member + 1}`);
    const isize = buf.readUInt32LE(4);
    if (isize !== size % 0x1_0000_0000) {
      throw new GzipError(`corrupt gzip data in member ${member + 1}: its trailer gives a length of ${isize} bytes, ${size} were decoded`, 'Z_DATA_ERROR', offset + 4);
    }
    const expected = buf.readUInt32LE(0);
    if (crc32 && expected !== crc) {
      throw new GzipError(`corrupt gzip data in member ${member + 1}: CRC mismatch`, 'Z_DATA_ERROR', offset);
    }
    consume(8);
  }
}
