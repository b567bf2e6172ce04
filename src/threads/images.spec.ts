import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { IMAGE_LIMITS, ImageRejectedError, processImage, sniffImageType } from './images';

// All fixtures are generated with sharp itself: no fixture files, no mocks.

function solid(width: number, height: number, background = '#c33', channels: 3 | 4 = 3): Sharp {
  return sharp({ create: { width, height, channels, background } });
}

/** Deterministic "random" bytes (no flakiness from a lucky random sequence). */
function pseudoRandomBytes(length: number, seed = 0x2f6b): Buffer {
  const out = Buffer.alloc(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Rewrites the IHDR width/height of a PNG (and its CRC) without touching the pixel data. */
function forgePngDimensions(png: Buffer, width: number, height: number): Buffer {
  const forged = Buffer.from(png);
  expect(forged.toString('latin1', 12, 16)).toBe('IHDR');
  forged.writeUInt32BE(width, 16);
  forged.writeUInt32BE(height, 20);
  forged.writeUInt32BE(crc32(forged.subarray(12, 29)) >>> 0, 29);
  return forged;
}

async function pixelAt(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const offset = (y * info.width + x) * info.channels;
  return [data[offset], data[offset + 1], data[offset + 2]];
}

describe('sniffImageType', () => {
  it('detects the four accepted types by magic bytes', async () => {
    expect(sniffImageType(await solid(4, 4).jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageType(await solid(4, 4).png().toBuffer())).toBe('png');
    expect(sniffImageType(await solid(4, 4).webp().toBuffer())).toBe('webp');
    expect(sniffImageType(await solid(4, 4).gif().toBuffer())).toBe('gif');
    expect(sniffImageType(Buffer.from('GIF87a'))).toBe('gif');
  });

  it('returns null for everything else', async () => {
    expect(sniffImageType(Buffer.alloc(0))).toBeNull();
    expect(sniffImageType(Buffer.from([0xff, 0xd8]))).toBeNull();
    expect(sniffImageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImageType(Buffer.from('%PDF-1.7\n'))).toBeNull();
    expect(sniffImageType(Buffer.from('BM\0\0\0\0\0\0\0\0'))).toBeNull();
    expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
    expect(sniffImageType(await solid(4, 4).tiff().toBuffer())).toBeNull();
    expect(sniffImageType(await solid(4, 4).avif().toBuffer())).toBeNull();
  });
});

describe('processImage', () => {
  it('strips EXIF (GPS) from a JPEG and keeps it a JPEG', async () => {
    const input = await solid(64, 48)
      .jpeg()
      .withExif({
        IFD0: { Make: 'Hearth', Copyright: 'x' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' },
      })
      .toBuffer();
    const inMeta = await sharp(input).metadata();
    expect(inMeta.exif).toBeDefined();
    expect(inMeta.exif!.includes('Hearth')).toBe(true);

    const out = await processImage(input);

    expect(out).toMatchObject({
      format: 'jpeg',
      contentType: 'image/jpeg',
      extension: 'jpg',
      width: 64,
      height: 48,
      bytes: out.data.length,
    });
    expect(out.sha256).toBe(createHash('sha256').update(out.data).digest('hex'));
    expect(sniffImageType(out.data)).toBe('jpeg');
    expect(out.data.includes('Hearth')).toBe(false);

    const outMeta = await sharp(out.data).metadata();
    expect(outMeta.format).toBe('jpeg');
    expect(outMeta.exif).toBeUndefined();
    expect(outMeta.xmp).toBeUndefined();
    expect(outMeta.iptc).toBeUndefined();
    expect(outMeta.icc).toBeUndefined();
    expect(outMeta.orientation).toBeUndefined();
  });

  it('applies EXIF orientation 6 and leaves no orientation tag', async () => {
    // 64x48 red with a blue 8x8 block in the stored top-left corner.
    const blue = await solid(8, 8, '#00f').png().toBuffer();
    const input = await sharp(await solid(64, 48, '#f00').composite([{ input: blue, left: 0, top: 0 }]).png().toBuffer())
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 }) // withExif() cannot set Orientation: sharp overrides it
      .toBuffer();
    expect((await sharp(input).metadata()).orientation).toBe(6);

    const out = await processImage(input);

    expect(out.width).toBe(48);
    expect(out.height).toBe(64);
    const outMeta = await sharp(out.data).metadata();
    expect(outMeta.orientation).toBeUndefined();
    expect(outMeta.exif).toBeUndefined();
    // Orientation 6 = rotate 90° clockwise to display: stored top-left ends up top-right.
    const [r, , b] = await pixelAt(out.data, 46, 1);
    expect(b).toBeGreaterThan(200);
    expect(r).toBeLessThan(60);
    const [r2, , b2] = await pixelAt(out.data, 1, 1);
    expect(r2).toBeGreaterThan(200);
    expect(b2).toBeLessThan(60);
  });

  it('accepts PNG (keeping alpha) and strips its metadata', async () => {
    const input = await solid(40, 30, '#0000ff80', 4)
      .png()
      .withExif({ IFD0: { Make: 'Hearth' } })
      .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"></x:xmpmeta>')
      .toBuffer();
    const inMeta = await sharp(input).metadata();
    expect(inMeta.exif).toBeDefined();
    expect(inMeta.xmp).toBeDefined();

    const out = await processImage(input);

    expect(out).toMatchObject({ format: 'png', contentType: 'image/png', extension: 'png', width: 40, height: 30 });
    const outMeta = await sharp(out.data).metadata();
    expect(outMeta.format).toBe('png');
    expect(outMeta.hasAlpha).toBe(true);
    expect(outMeta.exif).toBeUndefined();
    expect(outMeta.xmp).toBeUndefined();
  });

  it('accepts WebP and strips its metadata', async () => {
    const input = await solid(50, 20).webp().withExif({ IFD0: { Make: 'Hearth' } }).toBuffer();
    expect((await sharp(input).metadata()).exif).toBeDefined();

    const out = await processImage(input);

    expect(out).toMatchObject({ format: 'webp', contentType: 'image/webp', extension: 'webp', width: 50, height: 20 });
    const outMeta = await sharp(out.data).metadata();
    expect(outMeta.format).toBe('webp');
    expect(outMeta.exif).toBeUndefined();
  });

  it('converts GIF to PNG', async () => {
    const input = await solid(30, 20, '#0f0').gif().toBuffer();
    const out = await processImage(input);
    expect(out).toMatchObject({ format: 'png', contentType: 'image/png', extension: 'png', width: 30, height: 20 });
    expect(sniffImageType(out.data)).toBe('png');
    expect((await sharp(out.data).metadata()).format).toBe('png');
  });

  it('converts an animated GIF to a PNG of its first frame only', async () => {
    const frames = [await solid(10, 10, '#f00').png().toBuffer(), await solid(10, 10, '#00f').png().toBuffer()];
    const input = await sharp(frames, { join: { animated: true } })
      .gif()
      .toBuffer();
    expect((await sharp(input).metadata()).pages).toBe(2);

    const out = await processImage(input);

    expect(out).toMatchObject({ format: 'png', width: 10, height: 10 });
    const [r, , b] = await pixelAt(out.data, 5, 5);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
  });

  it('downscales large images to fit 2048 and never enlarges small ones', async () => {
    const large = await solid(3000, 1500).jpeg().toBuffer();
    const out = await processImage(large);
    expect(out.width).toBe(2048);
    expect(out.height).toBe(1024);
    const outMeta = await sharp(out.data).metadata();
    expect([outMeta.width, outMeta.height]).toEqual([2048, 1024]);

    const tall = await solid(500, 4000).png().toBuffer();
    const tallOut = await processImage(tall);
    expect([tallOut.width, tallOut.height]).toEqual([256, 2048]);

    const small = await solid(64, 48).png().toBuffer();
    const smallOut = await processImage(small);
    expect([smallOut.width, smallOut.height]).toEqual([64, 48]);

    const custom = await processImage(small, { ...IMAGE_LIMITS, outputMaxDimension: 32 });
    expect([custom.width, custom.height]).toEqual([32, 24]);
  });

  describe('rejections', () => {
    it('rejects SVG without passing it to sharp', async () => {
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
      await expect(processImage(svg)).rejects.toBeInstanceOf(ImageRejectedError);
      await expect(processImage(svg)).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE_TYPE' });
      const xmlSvg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
      await expect(processImage(xmlSvg)).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE_TYPE' });
    });

    it('rejects HTML, PDF, BMP, TIFF, AVIF and random bytes', async () => {
      const inputs = [
        Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>'),
        Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n'),
        Buffer.concat([Buffer.from('BM'), pseudoRandomBytes(100)]),
        await solid(8, 8).tiff().toBuffer(),
        await solid(8, 8).avif().toBuffer(),
        pseudoRandomBytes(1000),
      ];
      for (const input of inputs) {
        await expect(processImage(input)).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE_TYPE' });
      }
    });

    it('rejects an empty buffer', async () => {
      await expect(processImage(Buffer.alloc(0))).rejects.toMatchObject({ code: 'UNSUPPORTED_IMAGE_TYPE' });
    });

    it('rejects JPEG magic followed by junk as corrupt, with a generic message', async () => {
      const junk = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), pseudoRandomBytes(2000)]);
      const err: unknown = await processImage(junk).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageRejectedError);
      expect(err).toMatchObject({ code: 'IMAGE_CORRUPT' });
      expect((err as Error).message).not.toMatch(/vips|jpeg|\//i);
    });

    it('rejects a truncated image as corrupt', async () => {
      const jpeg = await solid(200, 200).jpeg().toBuffer();
      await expect(processImage(jpeg.subarray(0, Math.floor(jpeg.length / 2)))).rejects.toMatchObject({
        code: 'IMAGE_CORRUPT',
      });
    });

    it('rejects oversize input before decoding', async () => {
      const input = await solid(64, 64).png().toBuffer();
      expect(input.length).toBeGreaterThan(100);
      await expect(processImage(input, { ...IMAGE_LIMITS, maxBytes: input.length - 1 })).rejects.toMatchObject({
        code: 'IMAGE_TOO_LARGE',
      });
      await expect(processImage(input, { ...IMAGE_LIMITS, maxBytes: input.length })).resolves.toMatchObject({
        width: 64,
      });
      // Size is checked first: even junk is reported as too large.
      await expect(processImage(pseudoRandomBytes(1001), { ...IMAGE_LIMITS, maxBytes: 1000 })).rejects.toMatchObject({
        code: 'IMAGE_TOO_LARGE',
      });
      await expect(processImage(Buffer.alloc(IMAGE_LIMITS.maxBytes + 1, 0xff))).rejects.toMatchObject({
        code: 'IMAGE_TOO_LARGE',
      });
    });

    it('rejects a decompression bomb (10000x10000 single-colour PNG)', async () => {
      const bomb = await solid(10000, 10000, '#fff').png({ compressionLevel: 9 }).toBuffer();
      expect(bomb.length).toBeLessThan(IMAGE_LIMITS.maxBytes);
      await expect(processImage(bomb)).rejects.toMatchObject({ code: 'IMAGE_TOO_MANY_PIXELS' });
    });

    it('rejects too many pixels with custom limits', async () => {
      const input = await solid(2000, 2000).png().toBuffer();
      await expect(processImage(input, { ...IMAGE_LIMITS, maxPixels: 1_000_000 })).rejects.toMatchObject({
        code: 'IMAGE_TOO_MANY_PIXELS',
      });
      await expect(processImage(input, { ...IMAGE_LIMITS, maxWidth: 1999 })).rejects.toMatchObject({
        code: 'IMAGE_TOO_MANY_PIXELS',
      });
      await expect(processImage(input, { ...IMAGE_LIMITS, maxHeight: 1999 })).rejects.toMatchObject({
        code: 'IMAGE_TOO_MANY_PIXELS',
      });
    });

    it('rejects from the header alone (forged IHDR with tiny pixel data)', async () => {
      const tiny = await solid(8, 8).png().toBuffer();
      // The forged files carry 8x8 worth of data: only the header can make them "too many pixels".
      const huge = forgePngDimensions(tiny, 50_000, 50_000);
      expect(huge.length).toBe(tiny.length);
      await expect(processImage(huge)).rejects.toMatchObject({ code: 'IMAGE_TOO_MANY_PIXELS' });

      // Under the pixel limit but wider than maxWidth: caught by the metadata check.
      const wide = forgePngDimensions(tiny, 9000, 10);
      expect((await sharp(wide).metadata()).width).toBe(9000);
      await expect(processImage(wide)).rejects.toMatchObject({ code: 'IMAGE_TOO_MANY_PIXELS' });

      // Within all limits: the header passes, decoding the missing data fails.
      const lying = forgePngDimensions(tiny, 3000, 3000);
      await expect(processImage(lying)).rejects.toMatchObject({ code: 'IMAGE_CORRUPT' });
    });
  });
});
