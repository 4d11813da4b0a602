/**
 * The mail explorer: a Maildir (cur/ and new/, with Maildir++ subfolders
 * `.Name`) or an mbox file found in a restore point. Lists folders and
 * messages (date, from, subject: headers parsed with mailparser) and turns
 * chosen messages into what a restore writes: a new Maildir folder (each
 * message byte for byte, under its own file name, in cur/) or an mbox file
 * ("From " lines quoted as mboxrd does). A mailbox is hostile input: message
 * count and size are bounded; names are the restore plan's checked names.
 */
import {usageError} from '../errors.js';

export const MAX_MESSAGES = 100_000;
export const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const HEADER_BYTES = 64 * 1024;

export interface MessageRef {
  /** Stable id: `FOLDER/cur/NAME` in a Maildir ('' folder: the inbox), the 1-based number in an mbox. */
  id: string;
  folder: string;
  /** The message's file name in a Maildir. */
  name?: string;
}

export interface MessageInfo extends MessageRef {
  date: string | null;
  from: string;
  subject: string;
  size: number;
}

/** Maildir message files among a directory's entries (relative paths): [folder, sub, name]. */
export function maildirMessages(rels: readonly string[]): MessageRef[] {
  const out: MessageRef[] = [];
  for (const rel of rels) {
    const parts = rel.split('/');
    const inbox = parts.length === 2 && (parts[0] === 'cur' || parts[0] === 'new');
    const sub = parts.length === 3 && parts[0]!.startsWith('.') && (parts[1] === 'cur' || parts[1] === 'new');
    if (!inbox && !sub) continue;
    out.push({id: rel, folder: inbox ? '' : parts[0]!, name: parts.at(-1)!});
  }
  if (out.length > MAX_MESSAGES)
    throw usageError(`The mailbox holds more than ${MAX_MESSAGES} messages.`, 'Restore it whole instead.');
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** An mbox split into its messages (without their "From " separator line, ">From " unquoted). */
export function mboxMessages(data: Buffer): Buffer[] {
  const text = data.toString('latin1');
  const starts: number[] = [];
  const re = /^From /gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index === 0 || text[m.index - 1] === '\n') starts.push(m.index);
    if (starts.length > MAX_MESSAGES)
      throw usageError(`The mailbox holds more than ${MAX_MESSAGES} messages.`, 'Restore it whole instead.');
  }
  return starts.map((start, i) => {
    const body = start + text.slice(start).indexOf('\n') + 1;
    let end = i + 1 < starts.length ? starts[i + 1]! : text.length;
    if (end > body && text[end - 1] === '\n' && i + 1 < starts.length) end--; // the blank line before the next "From "
    return Buffer.from(text.slice(body, end).replace(/^>(>*From )/gm, '$1'), 'latin1');
  });
}

export function isMbox(head: Buffer): boolean {
  return head.subarray(0, 5).toString('latin1') === 'From ';
}

/** Date, from and subject of a message (from its header only). */
export async function describe(ref: MessageRef, message: Buffer): Promise<MessageInfo> {
  const end = message.indexOf('\n\n');
  const endCr = message.indexOf('\r\n\r\n');
  const cut = Math.min(...[end, endCr, HEADER_BYTES].filter(n => n >= 0));
  // Imported here: every command loads this module, few read mail.
  const {simpleParser} = await import('mailparser');
  const parsed = await simpleParser(message.subarray(0, cut), {
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipImageLinks: true,
  });
  return {
    ...ref,
    date: parsed.date ? parsed.date.toISOString() : null,
    from: parsed.from?.text ?? '',
    subject: parsed.subject ?? '',
    size: message.length,
  };
}

/** An mbox file of `messages` (mboxrd: body lines starting with "From " or ">From " get one more '>'). */
export function toMbox(messages: ReadonlyArray<{data: Buffer; date: string | null}>): Buffer {
  const parts: Buffer[] = [];
  for (const m of messages) {
    const when = (m.date ? new Date(m.date) : new Date(0))
      .toUTCString()
      .replace(/^(\w+), (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1 $3 $2 $5 $4');
    const body = m.data.toString('latin1').replace(/^(>*From )/gm, '>$1');
    parts.push(Buffer.from(`From MAILER-DAEMON ${when}\n${body}${body.endsWith('\n') ? '' : '\n'}\n`, 'latin1'));
  }
  return Buffer.concat(parts);
}
