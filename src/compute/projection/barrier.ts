/** Slots of an Int32Array a barrier keeps its count and generation in. */
export interface BarrierSlots {
  arrived: number;
  generation: number;
}

/** Spins before sleeping: when every thread has a core the wait is microseconds, far below a sleep's wake-up. */
const SPINS = 20_000;

/**
 * A reusable barrier for `parties` threads over shared memory: each call returns once every party has
 * called it as often. The workers of one run share `control` and `slots`.
 */
export function makeBarrier(control: Int32Array, slots: BarrierSlots, parties: number): () => void {
  return () => {
    if (parties === 1) return;
    const generation = Atomics.load(control, slots.generation);
    if (Atomics.add(control, slots.arrived, 1) === parties - 1) {
      Atomics.store(control, slots.arrived, 0);
      Atomics.add(control, slots.generation, 1);
      Atomics.notify(control, slots.generation);
    } else {
      for (let spin = 0; spin < SPINS && Atomics.load(control, slots.generation) === generation; spin++);
      while (Atomics.load(control, slots.generation) === generation)
        Atomics.wait(control, slots.generation, generation);
    }
  };
}
