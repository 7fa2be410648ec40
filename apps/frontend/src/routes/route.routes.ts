import { Router } from 'express';
import type { RouteService } from '../services/route.service';
import { requireJson } from '../http/errors.middleware';

/** `POST /api/route {model_type, prompt, user_id?}` → `RouteResponseBody`. */
export function routeRoutes(service: RouteService): Router {
  const router = Router();
  router.post('/route', requireJson, async (req, res) => {
    const answer = await service.route(req.body);
    res.json(answer);
  });
  return router;
}
