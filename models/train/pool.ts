import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PraxiError } from '../../activities/errors';
import type { ExpertArtifact } from '../expert';
import type { ExpertJob } from './expert-training';

interface Pending {
  resolve: (a: ExpertArtifact) => void;
  reject: (e: Error) => void;
}

/**
 * Worker threads that train experts in parallel (the WASM build is single-threaded, so one expert per
 * thread is how 2 cores get used). Jobs queue; each worker takes the next when it is done.
 */
export class TrainingPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { id: number; job: ExpertJob }[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly busy = new Map<Worker, number>();
  private nextId = 0;

  constructor(size = availableParallelism()) {
    for (let i = 0; i < Math.max(1, size); i++) {
      const w = new Worker(path.join(__dirname, 'worker.js'));
      w.on(
        'message',
        (m: { id: number; artifact?: ExpertArtifact; error?: { code: string; message: string } }) => {
          const p = this.pending.get(m.id);
          this.pending.delete(m.id);
          this.busy.delete(w);
          this.idle.push(w);
          this.pump();
          if (!p) return;
          if (m.artifact) p.resolve(m.artifact);
          else p.reject(new PraxiError('MODEL_ERROR', `training an expert failed: ${m.error?.message}`));
        },
      );
      w.on('error', (e) => {
        // A crashed WASM instance cannot be trusted again: fail its job and everything queued.
        const id = this.busy.get(w);
        const err = new PraxiError('MODEL_ERROR', `training worker crashed: ${e.message}`, { cause: e });
        if (id !== undefined) this.pending.get(id)?.reject(err);
        for (const q of this.queue.splice(0)) this.pending.get(q.id)?.reject(err);
      });
      this.workers.push(w);
      this.idle.push(w);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  train(job: ExpertJob): Promise<ExpertArtifact> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, job });
      this.pump();
    });
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop() as Worker;
      const q = this.queue.shift() as { id: number; job: ExpertJob };
      this.busy.set(w, q.id);
      // The matrix buffer moves to the worker instead of being copied.
      w.postMessage(q, [q.job.matrix.data.buffer as ArrayBuffer]);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
