export { type Camera, type CameraReadOptions, loadCameras, parseCamerasCsv, parseCamerasGeoJson } from './cameras.js';
export { type CameraCoverage, type CameraCoverageOptions, type CameraVisibility, cameraCoverage, type UncoveredFeature } from './coverage.js';
export { type Optics, type ViewGrid, type ViewParams, viewshed } from './viewshed.js';
