export { loadCameras, parseCamerasCsv, parseCamerasGeoJson, type Camera, type CameraReadOptions } from './cameras.js';
export { cameraCoverage, type CameraCoverage, type CameraCoverageOptions, type CameraVisibility, type UncoveredFeature } from './coverage.js';
export { viewshed, type Optics, type ViewGrid, type ViewParams } from './viewshed.js';
