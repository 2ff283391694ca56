export { isSecretRef, validateSettings, withDefaults } from './settings-validation.js';
