// Starts Swagger UI on the OpenAPI document named by the page (served by localcloud/gateway/docs.py).
"use strict";

(function start() {
  const root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.spec,
    domNode: root,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    displayRequestDuration: true,
    // Nothing outside the machine: no call to swagger.io's online validator.
    validatorUrl: null,
    // A token typed into "Authorize" is forgotten with the tab, never written to storage.
    persistAuthorization: false,
  });
})();
