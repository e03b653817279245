import { InputError } from '../../errors.js';

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts, for error messages. */
  line: number;
}

/**
 * RFC 4180 CSV: comma separated; a field in double quotes may hold commas, line breaks and "" for a
 * quote. Accepts LF, CRLF or CR line ends and a leading byte order mark; skips blank lines.
 * `source` names the file in errors.
 */
export function parseCsv(text: string, source: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const endRecord = (): void => {
    fields.push(field);
    if (fields.length > 1 || fields[0] !== '') records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };

  while (i < text.length) {
    const char = text[i]!;
    if (char === '"' && field === '') {
      const quoteLine = line;
      i++;
      for (;;) {
        if (i >= text.length) {
          throw new InputError(`${source}: the quoted field that starts on line ${quoteLine} never ends`, {
            hint: 'close it with a double quote; write a quote inside a field as ""',
          });
        }
        const inner = text[i]!;
        if (inner === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (inner === '\n' || (inner === '\r' && text[i + 1] !== '\n')) line++;
        field += inner;
        i++;
      }
      const after = text[i];
      if (after !== undefined && after !== ',' && after !== '\n' && after !== '\r') {
        throw new InputError(`${source} line ${line}: unexpected ${JSON.stringify(after)} after a closing quote`, {
          hint: 'put the whole field in quotes and write quotes inside it as ""',
        });
      }
      continue;
    }
    if (char === ',') {
      fields.push(field);
      field = '';
      i++;
    } else if (char === '\n' || char === '\r') {
      endRecord();
      i += char === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += char;
      i++;
    }
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
