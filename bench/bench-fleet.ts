import { deviceTypeNames } from '../src/catalogue/device-catalogue.js';
import type { DeviceInput, PlaceInput, RegistryData, SubjectInput } from '../src/registry/registry.js';
import type { DeviceType } from '../src/contracts/registry.js';

/**
 * A city-sized registry for benchmarks, built in memory: one street, 10 communities, 100 grids and
 * households with a water meter each, a gas detector in every second one and a smoke detector in
 * every fourth, until `devices` devices exist. One in five households is an elderly resident
 * living alone, so every shipped scenario has keys to keep state for. The departments are those
 * the shipped dispatch policy names. `byType` lists the ids of every catalogue type (empty for the
 * types this fleet does not use).
 */
export function benchFleet(devices: number): { registry: RegistryData; byType: Record<DeviceType, string[]> } {
  const places: PlaceInput[] = [{ id: 'st-bench', kind: 'street', name: 'Bench Street', timeZone: 'Asia/Shanghai', responsible: { office: 'Bench Street office' } }];
  for (let c = 0; c < 10; c++) {
    places.push({ id: `cm-${c}`, kind: 'community', name: `Community ${c}`, parentId: 'st-bench', responsible: { office: `Community ${c} office` } });
    for (let g = 0; g < 10; g++) places.push({ id: `gr-${c}-${g}`, kind: 'grid', name: `Grid ${c}-${g}`, parentId: `cm-${c}`, responsible: { office: `Grid ${c}-${g} station` } });
  }
  const subjects: SubjectInput[] = [];
  const deviceList: DeviceInput[] = [];
  const byType: Record<DeviceType, string[]> = Object.fromEntries(deviceTypeNames().map((type) => [type, []]));
  const add = (id: string, type: DeviceType, subjectId: string) => {
    if (deviceList.length >= devices) return;
    deviceList.push({ id, type, subjectId });
    byType[type].push(id);
  };
  for (let h = 0; deviceList.length < devices; h++) {
    const id = `hh-${h}`;
    const elderly = h % 5 === 0;
    subjects.push({ id, kind: 'household', placeId: `gr-${h % 10}-${Math.floor(h / 10) % 10}`, livingAlone: elderly, age: elderly ? 78 : 40, tags: elderly ? ['elderly'] : [] });
    add(`wm-${h}`, 'water_meter', id);
    if (h % 2 === 0) add(`gd-${h}`, 'gas_detector', id);
    if (h % 4 === 0) add(`sd-${h}`, 'smoke_detector', id);
  }
  // The departments the shipped dispatch policy routes to (rules/dispatch/policy.yaml).
  const departments = [
    { id: 'gas-company', kind: 'gas', name: 'Bench gas company' },
    { id: 'water-company', kind: 'water', name: 'Bench water company' },
    { id: 'fire-station', kind: 'fire', name: 'Bench fire station' },
    { id: 'property-management', kind: 'property', name: 'Bench property management' },
  ];
  return { registry: { places, subjects, devices: deviceList, departments }, byType };
}
