/**
 * Which ONNX Runtime execution provider runs the model: 'cpu' (always there), 'cuda' (NVIDIA GPUs: needs
 * onnxruntime-node's CUDA provider libraries, which `allowScripts` keeps its install script from fetching,
 * and CUDA 12 with cuDNN 9), 'webgpu' (Dawn over Vulkan on Linux: needs libvulkan and a GPU driver), or
 * 'auto': the first of cuda, webgpu, cpu that starts. A named device that cannot start is an InputError
 * whose one line says which library is missing and how to get it; only 'auto' falls back.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { InputError } from '../../errors.js';
import { OnnxGraphBuilder } from './builder.js';

export type Device = 'cpu' | 'cuda' | 'webgpu';
export type DeviceOption = Device | 'auto';
export const DEVICE_OPTIONS: readonly DeviceOption[] = ['cpu', 'cuda', 'webgpu', 'auto'];

const VULKAN_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
];

/** Folder of onnxruntime-node's native libraries. */
export function runtimeLibraryDir(): string {
  const binding = createRequire(import.meta.url).resolve('onnxruntime-node');
  return path.join(path.dirname(binding), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** What is missing for `device`, as one line with how to get it; undefined when nothing is known to be missing. */
export function missingFor(device: Device): string | undefined {
  if (device === 'cuda') {
    if (process.platform !== 'linux' && process.platform !== 'win32')
      return `CUDA is not offered by onnxruntime-node on ${process.platform}`;
    const library =
      process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    if (!existsSync(path.join(runtimeLibraryDir(), library))) {
      return `${library} is missing from onnxruntime-node: reinstall it with its CUDA libraries (ONNXRUNTIME_NODE_INSTALL_CUDA=v12 npm rebuild onnxruntime-node --foreground-scripts; needs CUDA 12 and cuDNN 9)`;
    }
  }
  if (device === 'webgpu' && process.platform === 'linux' && !VULKAN_PATHS.some((file) => existsSync(file))) {
    return "libvulkan.so.1 is missing: install the Vulkan loader and a driver for the GPU (apt-get install libvulkan1 mesa-vulkan-drivers, or the GPU vendor's driver)";
  }
  return undefined;
}

/** The execution providers of a session on `device` (ops a GPU provider lacks run on the CPU inside the same session). */
export function executionProviders(device: Device): string[] {
  return device === 'cpu' ? ['cpu'] : [device, 'cpu'];
}

/** Throws the one-line InputError when `device` is known not to start here. */
export function requireDevice(device: Device): void {
  const missing = missingFor(device);
  if (missing !== undefined) throw deviceError(device, missing);
}

/** The InputError for a session that did not start on `device`, naming a missing library when the message does. */
export function deviceStartError(device: Device, cause: unknown): InputError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const library = /(lib[\w.+-]+\.so(?:\.\d+)*)/.exec(message)?.[1];
  const reason =
    device === 'webgpu' && /adapter/i.test(message)
      ? 'WebGPU found no GPU adapter (a Vulkan driver for the GPU is needed)'
      : library !== undefined
        ? `${library} cannot be loaded (install it or add its folder to LD_LIBRARY_PATH)`
        : message.split('\n')[0]!;
  return deviceError(device, reason, cause);
}

function deviceError(device: Device, reason: string, cause?: unknown): InputError {
  return new InputError(`--device ${device}: ${reason}`, {
    hint: 'use --device cpu, or --device auto to take the first device that starts',
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** The device `option` names, or for 'auto' the first of cuda, webgpu and cpu on which a tiny model runs. */
export async function resolveDevice(option: DeviceOption = 'cpu'): Promise<Device> {
  if (option !== 'auto') {
    requireDevice(option);
    return option;
  }
  for (const device of ['cuda', 'webgpu'] as const) {
    if (missingFor(device) === undefined && (await starts(device))) return device;
  }
  return 'cpu';
}

/** Whether a one-node model runs on `device`. */
export async function starts(device: Device): Promise<boolean> {
  const model = new OnnxGraphBuilder('probe')
    .input('x', [1, 2])
    .output('y', [1, 2])
    .node('Relu', ['x'], ['y'])
    .toBytes();
  try {
    const session = await ort.InferenceSession.create(model, { executionProviders: executionProviders(device) });
    await session.run({ x: new ort.Tensor('float32', new Float32Array(2), [1, 2]) });
    await session.release();
    return true;
  } catch {
    return false;
  }
}
