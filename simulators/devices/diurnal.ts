/**
 * Daily rhythms as sums of Gaussian bumps over the local hour: a household's water or gas use at
 * hour h is proportional to `weight(h)`. Normalised by the day's integral, so a profile says only
 * *when* a household uses its daily volume, never how much.
 */
export interface Bump {
  /** Local hour of the peak. */
  at: number;
  /** Width (standard deviation, hours). */
  sd: number;
  height: number;
}

export interface DiurnalProfile {
  /** Use that goes on around the clock (a cistern refilling at night, a late shower). */
  floor: number;
  bumps: readonly Bump[];
}

export class Diurnal {
  private readonly dayIntegral: number;

  constructor(private readonly profile: DiurnalProfile) {
    // Numerically, once: 1-minute steps are far finer than any bump.
    let sum = 0;
    for (let m = 0; m < 1440; m++) sum += this.weight(m / 60) / 60;
    this.dayIntegral = sum;
  }

  /** Relative intensity at local hour `hour` (wrapping around midnight). */
  weight(hour: number): number {
    let w = this.profile.floor;
    for (const b of this.profile.bumps) {
      // The nearest of the peak's copies on the previous, same and next day, so 23:30 feels 00:30's bump.
      let d = hour - b.at;
      if (d > 12) d -= 24;
      else if (d < -12) d += 24;
      w += b.height * Math.exp(-(d * d) / (2 * b.sd * b.sd));
    }
    return w;
  }

  /** The share of a day's volume used per hour at local hour `hour` (integrates to 1 over a day). */
  sharePerHour(hour: number): number {
    return this.weight(hour) / this.dayIntegral;
  }
}
