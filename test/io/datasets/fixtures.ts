import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';

const tempDirs: string[] = [];

/** A fresh folder under os.tmpdir(), removed by removeTempDirs. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `nap-datasets-test-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** A solid-colour image file; `channels` picks gray (1), gray+alpha (2), RGB (3) or RGBA (4) pixels. */
export async function writeSolidImage(
  file: string,
  options: { width: number; height: number; colour: number[]; format: 'png' | 'jpeg' | 'webp' },
): Promise<void> {
  const { width, height, colour } = options;
  const channels = colour.length as 1 | 2 | 3 | 4;
  const pixels = Buffer.alloc(width * height * channels);
  for (let p = 0; p < width * height; p++) pixels.set(colour, p * channels);
  let image = sharp(pixels, { raw: { width, height, channels } });
  if (channels <= 2) image = image.toColourspace('b-w');
  const encoded =
    options.format === 'png'
      ? image.png()
      : options.format === 'jpeg'
        ? image.jpeg({ quality: 95 })
        : image.webp({ quality: 95 });
  await mkdir(path.dirname(file), { recursive: true });
  await encoded.toFile(file);
}

/** An RGB image from explicit HWC pixels, saved losslessly as PNG. */
export async function writePixelsPng(file: string, width: number, height: number, rgb: Uint8Array): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await sharp(Buffer.from(rgb), { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

export async function writeBytes(file: string, bytes: Uint8Array | string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
}

/** The colour of every fixture in the class-folder tree built by makeClassFolder. */
export const FOLDER_FIXTURES = {
  'cat/gray.png': { colour: [100], format: 'png' },
  'cat/img2.png': { colour: [10, 20, 30], format: 'png' },
  'cat/img10.png': { colour: [30, 20, 10], format: 'png' },
  'cat/indoor/rgba.png': { colour: [10, 200, 30, 128], format: 'png' },
  'cat/indoor/gray-alpha.png': { colour: [60, 255], format: 'png' },
  'dog/photo.JPG': { colour: [200, 100, 50], format: 'jpeg' },
  'dog/web.webp': { colour: [40, 160, 220], format: 'webp' },
} as const;

/**
 * root/cat/{gray,img2,img10}.png, root/cat/indoor/{rgba,gray-alpha}.png, root/dog/{photo.JPG, web.webp,
 * corrupt.jpg, empty.png, notes.txt}, root/.hidden/skip.png. Sizes differ (12x8 and 5x9) on purpose.
 */
export async function makeClassFolder(): Promise<string> {
  const root = await makeTempDir('folder');
  let odd = false;
  for (const [relative, fixture] of Object.entries(FOLDER_FIXTURES)) {
    odd = !odd;
    await writeSolidImage(path.join(root, relative), {
      width: odd ? 12 : 5,
      height: odd ? 8 : 9,
      colour: [...fixture.colour],
      format: fixture.format,
    });
  }
  await writeBytes(path.join(root, 'dog/corrupt.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
  await writeBytes(path.join(root, 'dog/empty.png'), new Uint8Array(0));
  await writeBytes(path.join(root, 'dog/notes.txt'), 'not an image');
  await writeSolidImage(path.join(root, '.hidden/skip.png'), { width: 2, height: 2, colour: [1, 2, 3], format: 'png' });
  return root;
}
