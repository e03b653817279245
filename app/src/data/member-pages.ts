/**
 * A pattern's members, fetched page by page from the members route as the gallery scrolls to them.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type MemberOrder, type MembersResponse } from '../../../src/results/api-types.js';
import type { MemberFilter } from '../../../src/results/members.js';
import { query, type ApiRequestError } from '../api.js';
import type { TileInput } from '../components/ImageTile.js';
import { membersQueryOf } from './filters.js';

export const MEMBER_PAGE = 240;

export interface MemberPages {
  /** Members passing the filters; undefined until the first page arrives. */
  total: number | undefined;
  /** The member at a position, when its page has arrived. */
  at: (position: number) => TileInput | undefined;
  /** Asks for the pages that cover positions first..last. */
  request: (first: number, last: number) => void;
  error: ApiRequestError | undefined;
}

function tilesOf(page: MembersResponse): TileInput[] {
  return page.inputIndex.map((inputIndex, i) => ({
    inputIndex,
    path: page.path[i] ?? null,
    label: page.label[i] ?? null,
    predictionLabel: page.predictionLabel[i] ?? null,
    probability: page.probability[i] ?? null,
    misclassified: page.misclassified[i] ?? false,
    outlierScore: page.outlierScore[i] ?? null,
    membershipProbability: page.membershipProbability[i] ?? null,
    content: page.content[i] ?? null,
  }));
}

export function useMemberPages(
  clusteringId: number,
  patternId: number,
  order: MemberOrder,
  filters: MemberFilter,
): MemberPages {
  const key = `${clusteringId}/${patternId}/${order}/${filters.label}/${filters.prediction}/${filters.misclassified}`;
  const pages = useRef(new Map<number, TileInput[]>());
  const asked = useRef(new Set<number>());
  const currentKey = useRef(key);
  const [total, setTotal] = useState<number>();
  const [error, setError] = useState<ApiRequestError>();
  const [, setVersion] = useState(0);

  if (currentKey.current !== key) {
    currentKey.current = key;
    pages.current = new Map();
    asked.current = new Set();
  }

  const load = useCallback(
    (page: number) => {
      if (asked.current.has(page)) return;
      asked.current.add(page);
      const forKey = key;
      const request = { ...membersQueryOf(filters), order, offset: page * MEMBER_PAGE, limit: MEMBER_PAGE };
      query('members', { clusteringId, patternId, ...request }).then(
        (response) => {
          if (currentKey.current !== forKey) return;
          pages.current.set(page, tilesOf(response));
          setTotal(response.total);
          setVersion((v) => v + 1);
        },
        (failure: ApiRequestError) => {
          if (currentKey.current !== forKey) return;
          asked.current.delete(page);
          setError(failure);
        },
      );
    },
    [key],
  );

  useEffect(() => {
    setTotal(undefined);
    setError(undefined);
    load(0);
  }, [key]);

  const request = useCallback(
    (first: number, last: number) => {
      for (let page = Math.floor(first / MEMBER_PAGE); page <= Math.floor(last / MEMBER_PAGE); page++) load(page);
    },
    [load],
  );

  const at = (position: number) => pages.current.get(Math.floor(position / MEMBER_PAGE))?.[position % MEMBER_PAGE];
  return { total, at, request, error };
}
