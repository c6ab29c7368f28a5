package dev.uat.router;

import java.util.List;

/**
 * Where a request may go: an ordered fallback chain of steps, each a set of equivalent deployments
 * (chosen among by weight and latency).
 *
 * @param requested the model or alias the request named (or the default it got)
 * @param steps the chain, never empty, no step empty
 */
record Route(String requested, List<List<Deployment>> steps) {
  Route {
    steps = List.copyOf(steps);
  }

  /** Whether every deployment's answers may be cached. */
  boolean cacheable() {
    for (List<Deployment> step : steps) {
      for (Deployment d : step) {
        if (!d.instance().cacheable()) {
          return false;
        }
      }
    }
    return true;
  }
}
