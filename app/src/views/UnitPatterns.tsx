/**
 * Unit patterns (clusterings of single units' spatial maps), where computed: for each such unit, how the
 * members of the current pattern spread over that unit's patterns.
 */
import { useMemo, useState } from 'preact/hooks';
import type { ClusteringSummary } from '../../../src/results/api-types.js';
import type { ViewContext } from '../context.js';
import { memberIndices } from '../../../src/results/members.js';
import { useMembershipTable, type MembershipTable } from '../data/tables.js';
import { formatCount, formatShare, shortPatternName } from '../format.js';
import { hrefOf } from '../route.js';

const SHOWN_UNITS = 16;
const SHOWN_SHARES = 6;

function spread(members: readonly number[], unitTable: MembershipTable): { patternId: number; count: number }[] {
  const counts = new Map<number, number>();
  for (const inputIndex of members) {
    const row = unitTable.rows.rowOf(inputIndex);
    if (row < 0) continue;
    const id = unitTable.patternId[row]!;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return [...counts]
    .map(([patternId, count]) => ({ patternId, count }))
    .sort((a, b) => b.count - a.count || a.patternId - b.patternId);
}

function UnitRow({ context, unit, members }: { context: ViewContext; unit: ClusteringSummary; members: number[] }) {
  const table = useMembershipTable(unit.clusteringId);
  const shares = useMemo(() => (table.data ? spread(members, table.data) : undefined), [table.data, members]);
  return (
    <tr>
      <th scope="row">
        <a href={hrefOf(context.route, { view: 'layer', clustering: unit.clusteringId, pattern: null })}>
          unit {unit.unit}
        </a>
      </th>
      <td>{formatCount(unit.patternCount)}</td>
      <td class="shares">
        {!shares && <span class="muted">loading…</span>}
        {shares?.slice(0, SHOWN_SHARES).map(({ patternId, count }) => (
          <a
            key={patternId}
            class={`chip${patternId === -1 ? ' noise' : ''}`}
            href={hrefOf(context.route, { view: 'pattern', clustering: unit.clusteringId, pattern: patternId })}
          >
            {shortPatternName(patternId)} <span class="muted">{formatShare(count / Math.max(1, members.length))}</span>
          </a>
        ))}
        {shares && shares.length > SHOWN_SHARES && <span class="muted">+{shares.length - SHOWN_SHARES} more</span>}
      </td>
    </tr>
  );
}

export function UnitPatterns({
  context,
  units,
  memberships,
  patternId,
}: {
  context: ViewContext;
  units: ClusteringSummary[];
  memberships: MembershipTable;
  patternId: number;
}) {
  const [all, setAll] = useState(false);
  const members = useMemo(() => memberIndices(memberships, undefined, patternId), [memberships, patternId]);
  const shown = all ? units : units.slice(0, SHOWN_UNITS);
  return (
    <section class="panel" aria-labelledby="unit-patterns-title">
      <div class="panel-heading">
        <h2 id="unit-patterns-title">Unit patterns</h2>
        <span class="muted">
          Where this pattern’s {formatCount(members.length)} members fall among each unit’s own patterns
        </span>
      </div>
      <table class="table compact">
        <thead>
          <tr>
            <th>Unit</th>
            <th>Patterns</th>
            <th>Members of this pattern in the unit’s patterns</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((unit) => (
            <UnitRow key={unit.clusteringId} context={context} unit={unit} members={members} />
          ))}
        </tbody>
      </table>
      {units.length > SHOWN_UNITS && (
        <button type="button" class="link-button" onClick={() => setAll(!all)}>
          {all ? 'fewer units' : `all ${units.length} units`}
        </button>
      )}
    </section>
  );
}
