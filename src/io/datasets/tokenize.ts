/**
 * Text to token ids with a Hugging Face tokenizer.json (WordPiece, BPE, Unigram; normalizers,
 * pre-tokenizers and post-processors as the Rust tokenizers library defines them), read by the
 * maintained pure-JavaScript @huggingface/tokenizers package, offline: nothing is fetched.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tokenizers from '@huggingface/tokenizers';
import { InputError } from '../../errors.js';

/**
 * The part of @huggingface/tokenizers' Tokenizer used here. Its declaration files import their siblings
 * without file extensions, which NodeNext resolution does not follow, so its own types do not resolve.
 */
interface HfTokenizer {
  encode(text: string, options?: { return_token_type_ids?: boolean }): { ids: number[]; token_type_ids?: number[] };
  token_to_id(token: string): number | undefined;
}

const Tokenizer = (tokenizers as unknown as { Tokenizer: new (json: object, config: object) => HfTokenizer }).Tokenizer;

export interface TokenizedTexts {
  /** Tokens per text after padding/truncation. */
  length: number;
  /** count x length ids, padded with the pad id. */
  inputIds: BigInt64Array;
  /** count x length: 1 for real tokens, 0 for padding. */
  attentionMask: BigInt64Array;
  /** count x length segment ids (0 for single texts). */
  tokenTypeIds: BigInt64Array;
}

export interface TextTokenizer {
  /** The file it was read from. */
  source: string;
  /** Ids of one text, special tokens ([CLS], [SEP], <s>...) added as the tokenizer's post-processor says. */
  encode(text: string): number[];
  /** Every text padded (or truncated, keeping the last id) to one length: `length`, else the longest up to `maxLength`. */
  encodeBatch(texts: string[], options: { length?: number; maxLength: number }): TokenizedTexts;
}

/** Reads tokenizer.json (and tokenizer_config.json beside it, when there is one). */
export async function loadTokenizer(file: string): Promise<TextTokenizer> {
  const source = path.resolve(file);
  const json = await readJson(source, 'tokenizer');
  const configPath = path.join(path.dirname(source), 'tokenizer_config.json');
  const config = await readJson(configPath, 'tokenizer config').catch(() => ({}));
  let tokenizer: HfTokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
  } catch (cause) {
    throw new InputError(`${source} is not a tokenizer.json nap can read: ${(cause as Error).message}`, {
      hint: 'pass the tokenizer.json of a Hugging Face tokenizer (saved with tokenizer.save or save_pretrained)',
      cause,
    });
  }
  const padId = padTokenId(json, tokenizer);
  const encode = (text: string): number[] => tokenizer.encode(text).ids;
  return {
    source,
    encode,
    encodeBatch(texts, { length, maxLength }) {
      const encoded = texts.map((text) => tokenizer.encode(text, { return_token_type_ids: true }));
      const width = length ?? Math.max(1, Math.min(maxLength, Math.max(...encoded.map((e) => e.ids.length))));
      const inputIds = new BigInt64Array(texts.length * width).fill(BigInt(padId));
      const attentionMask = new BigInt64Array(texts.length * width);
      const tokenTypeIds = new BigInt64Array(texts.length * width);
      encoded.forEach((e, row) => {
        const ids = e.ids;
        // Truncation keeps the last id, the closing special token ([SEP], </s>) of most tokenizers.
        const kept = ids.length <= width ? ids : [...ids.slice(0, width - 1), ids[ids.length - 1]!];
        kept.forEach((id: number, i: number) => {
          inputIds[row * width + i] = BigInt(id);
          attentionMask[row * width + i] = 1n;
          tokenTypeIds[row * width + i] = BigInt(e.token_type_ids?.[i] ?? 0);
        });
      });
      return { length: width, inputIds, attentionMask, tokenTypeIds };
    },
  };
}

function padTokenId(json: Record<string, unknown>, tokenizer: HfTokenizer): number {
  const padding = json['padding'] as { pad_id?: number } | null | undefined;
  if (typeof padding?.pad_id === 'number') return padding.pad_id;
  for (const token of ['[PAD]', '<pad>', '<|pad|>', '<|endoftext|>']) {
    const id = tokenizer.token_to_id(token);
    if (id !== undefined) return id;
  }
  return 0;
}

async function readJson(file: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new InputError(`${what} file ${file} cannot be read`, { hint: 'check the path', cause });
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new InputError(`${what} file ${file} is not JSON`, { hint: 'pass a tokenizer.json file', cause });
  }
}
