import type { FigureResult } from '../figure.js';

export async function receiveFigure(_ctx: { quick: boolean; rounds?: number }): Promise<FigureResult> {
  return { id: 'receive', title: 'Receive', ran: false, skippedReason: 'not implemented yet', lines: [], data: {} };
}
