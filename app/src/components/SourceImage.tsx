/**
 * An image from an ImageSource: an <img> for an image with its own URL, else an element showing its cell of
 * a sprite sheet (data-state says loading, ready or missing, for tests and styles).
 */
import { useLayoutEffect, useState } from 'preact/hooks';
import type { ImageSource } from '../api.js';
import type { SheetCell } from '../../../src/results/sheet-loader.js';
import { cellStyle } from '../data/sheets.js';

export interface SourceImageProps {
  source: ImageSource;
  width: number;
  height: number;
  class?: string;
  alt?: string;
  onError?: () => void;
}

export function SourceImage({ source, width, height, class: className, alt = '', onError }: SourceImageProps) {
  if ('url' in source) {
    return (
      <img
        class={className}
        src={source.url}
        width={width}
        height={height}
        loading="lazy"
        decoding="async"
        alt={alt}
        draggable={false}
        onError={onError}
      />
    );
  }
  return <SheetImage source={source} width={width} height={height} className={className} alt={alt} onError={onError} />;
}

function SheetImage({
  source: { loader, key },
  width,
  height,
  className,
  alt,
  onError,
}: {
  source: Extract<ImageSource, { loader: unknown }>;
  width: number;
  height: number;
  className: string | undefined;
  alt: string;
  onError: (() => void) | undefined;
}) {
  const [cell, setCell] = useState<{ loader: unknown; key: number; cell: SheetCell | null } | null>(null);
  // A layout effect: the tiles of one commit (and of the re-render right after it) ask in the same moment.
  useLayoutEffect(() => {
    let live = true;
    const cancel = loader.request(key, (found) => {
      if (!live) return;
      setCell({ loader, key, cell: found });
      if (found === null) onError?.();
    });
    return () => {
      live = false;
      cancel();
    };
    // onError only reports: a new one need not ask again.
  }, [loader, key]);
  const current = cell !== null && cell.loader === loader && cell.key === key ? cell.cell : undefined;
  const state = current === undefined ? 'loading' : current === null ? 'missing' : 'ready';
  return (
    <span
      class={`sheet-image${className ? ` ${className}` : ''}`}
      data-state={state}
      role={alt === '' ? undefined : 'img'}
      aria-label={alt === '' ? undefined : alt}
      style={{ width: `${width}px`, height: `${height}px`, ...(current ? cellStyle(current) : {}) }}
    />
  );
}
