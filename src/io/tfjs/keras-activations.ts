/**
 * Keras activation functions as ONNX ops, with the definitions TF.js uses (hard_sigmoid is 0.2x + 0.5
 * clipped; swish is x * sigmoid(x); gelu is the exact erf form).
 */
import { InputError } from '../../errors.js';
import type { ConversionContext } from './conversion-context.js';

/** 'hard_sigmoid', 'hardSigmoid' and 'HardSigmoid' are one activation. */
function normalized(activation: unknown): string {
  const name = typeof activation === 'string' ? activation : activation == null ? 'linear' : describe(activation);
  return name.replace(/_/g, '').toLowerCase();
}

function describe(activation: unknown): string {
  // Keras 3 may serialize an activation as { class_name, config: { name } }.
  const record = activation as { class_name?: unknown; config?: { name?: unknown } };
  return String(record.config?.name ?? record.class_name ?? activation);
}

export function isLinear(activation: unknown): boolean {
  return normalized(activation) === 'linear';
}

/** Applies `activation` to `input`, writing `output`; `channelAxis` is the ONNX axis softmax normalizes. */
export function activate(
  ctx: ConversionContext,
  activation: unknown,
  input: string,
  output: string,
  channelAxis: number,
): string {
  const name = normalized(activation);
  switch (name) {
    case 'linear':
      return ctx.node('Identity', [input], output);
    case 'relu':
      return ctx.node('Relu', [input], output);
    case 'relu6':
      return ctx.node('Clip', [input, ctx.scalar(0), ctx.scalar(6)], output);
    case 'sigmoid':
      return ctx.node('Sigmoid', [input], output);
    case 'hardsigmoid':
      return ctx.node('HardSigmoid', [input], output, { alpha: { float: 0.2 }, beta: { float: 0.5 } });
    case 'tanh':
      return ctx.node('Tanh', [input], output);
    case 'softmax':
      return ctx.node('Softmax', [input], output, { axis: channelAxis });
    case 'logsoftmax':
      return ctx.node('LogSoftmax', [input], output, { axis: channelAxis });
    case 'elu':
      return ctx.node('Elu', [input], output, { alpha: { float: 1 } });
    case 'selu':
      return ctx.node('Selu', [input], output);
    case 'softplus':
      return ctx.node('Softplus', [input], output);
    case 'softsign':
      return ctx.node('Softsign', [input], output);
    case 'exponential':
      return ctx.node('Exp', [input], output);
    case 'swish':
    case 'silu':
      return ctx.node('Mul', [input, ctx.node('Sigmoid', [input], `${output}/sigmoid`)], output);
    case 'mish': {
      const softplus = ctx.node('Softplus', [input], `${output}/softplus`);
      return ctx.node('Mul', [input, ctx.node('Tanh', [softplus], `${output}/tanh`)], output);
    }
    case 'gelu': {
      const scaled = ctx.node('Div', [input, ctx.scalar(Math.SQRT2)], `${output}/scaled`);
      const erf = ctx.node('Erf', [scaled], `${output}/erf`);
      const cdf = ctx.node(
        'Mul',
        [ctx.node('Add', [erf, ctx.scalar(1)], `${output}/erf_plus_1`), ctx.scalar(0.5)],
        `${output}/cdf`,
      );
      return ctx.node('Mul', [input, cdf], output);
    }
    default:
      throw new InputError(`activation '${String(describe(activation))}' in ${ctx.source} has no ONNX conversion`, {
        hint: 'supported activations: linear, relu, relu6, sigmoid, hard_sigmoid, tanh, softmax, log_softmax, elu, selu, softplus, softsign, exponential, swish, mish, gelu',
      });
  }
}
