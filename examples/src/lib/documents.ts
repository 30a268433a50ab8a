/**
 * Loading a folder of documents and cutting them into chunks, like LlamaIndex's
 * `SimpleDirectoryReader` and its default node parser: each document is its text plus metadata.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join, relative } from "node:path";
import { UsageError } from "./cli.js";

/** A loaded file: its text and where it came from. */
export interface Document {
  text: string;
  metadata: {
    /** The path relative to the loaded folder, e.g. `guides/retries.md`. */
    fileName: string;
    /** The absolute (or as-given) path of the file. */
    filePath: string;
  };
}

/** A piece of a document small enough to embed and to quote as a source. */
export interface TextChunk {
  /** `<fileName>#<index>`, unique within an index. */
  id: string;
  text: string;
  metadata: Document["metadata"] & { chunkIndex: number };
}

/** Options of {@link loadDirectory}. */
export interface LoadDirectoryOptions {
  /** File name endings to load. @default [".md", ".txt"] */
  extensions?: readonly string[];
  /** Whether to descend into sub-folders. @default true */
  recursive?: boolean;
}

/**
 * Reads every `.md` and `.txt` file under `dir` (sorted by path, so runs are repeatable).
 *
 * @throws {@link UsageError} when the folder does not exist or holds no such file with text
 */
export async function loadDirectory(
  dir: string,
  options: LoadDirectoryOptions = {},
): Promise<Document[]> {
  const extensions = options.extensions ?? [".md", ".txt"];
  const recursive = options.recursive ?? true;
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) {
    throw new UsageError(`data folder ${dir} does not exist: create it or pass --data <folder>`);
  }
  const paths: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory() && recursive && !entry.name.startsWith(".")) await walk(path);
      else if (entry.isFile() && extensions.includes(extname(entry.name).toLowerCase())) {
        paths.push(path);
      }
    }
  };
  await walk(dir);
  paths.sort();
  const documents: Document[] = [];
  for (const filePath of paths) {
    const text = (await readFile(filePath, "utf8")).replace(/\r\n/g, "\n").trim();
    if (text) documents.push({ text, metadata: { fileName: relative(dir, filePath), filePath } });
  }
  if (documents.length === 0) {
    throw new UsageError(
      `no ${extensions.join(" or ")} file with text in ${dir}: add some documents or pass --data <folder>`,
    );
  }
  return documents;
}

/** Options of {@link splitIntoChunks}. */
export interface SplitOptions {
  /** Largest chunk, in characters (a single longer sentence stays whole). @default 700 */
  maxChars?: number;
}

/**
 * Cuts a document into chunks along paragraphs, starting a new chunk at each Markdown heading and
 * repeating the heading in the chunks under it, so a retrieved chunk says what it is about.
 */
export function splitIntoChunks(document: Document, options: SplitOptions = {}): TextChunk[] {
  const maxChars = options.maxChars ?? 700;
  const pieces: string[] = [];
  let heading = "";
  let current = "";
  const flush = () => {
    if (current.trim() && current.trim() !== heading) pieces.push(current.trim());
    current = heading;
  };
  const add = (text: string) => {
    if (current && current.length + text.length + 2 > maxChars) flush();
    current = current ? `${current}\n\n${text}` : text;
  };
  for (const paragraph of document.text.split(/\n\s*\n/)) {
    const text = paragraph.trim();
    if (!text) continue;
    if (/^#{1,6}\s/.test(text) && !text.includes("\n")) {
      flush();
      heading = text;
      current = heading;
      continue;
    }
    if (text.length <= maxChars) {
      add(text);
      continue;
    }
    for (const sentence of splitSentences(text)) add(sentence);
  }
  flush();
  return pieces.map((text, chunkIndex) => ({
    id: `${document.metadata.fileName}#${chunkIndex}`,
    text,
    metadata: { ...document.metadata, chunkIndex },
  }));
}

/**
 * Splits text into sentences and list items, dropping Markdown heading lines and list markers.
 */
export function splitSentences(text: string): string[] {
  const sentences: string[] = [];
  // Hard-wrapped lines belong to one paragraph; list items and headings start new lines.
  const unwrapped = text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.replace(/\n(?!\s*(?:[-*+]|\d+[.)]|#{1,6})\s)/g, " "))
    .join("\n");
  for (const rawLine of unwrapped.split("\n")) {
    const line = rawLine.trim();
    if (!line || /^#{1,6}\s/.test(line)) continue;
    const body = line.replace(/^([-*+]|\d+[.)])\s+/, "");
    for (const sentence of body.split(/(?<=[.!?])\s+(?=[A-Z0-9"(`])/)) {
      if (sentence.trim()) sentences.push(sentence.trim());
    }
  }
  return sentences;
}
