import { z } from 'zod';

export const RISK_CATEGORIES = ['read', 'write', 'destructive'] as const;
export const RiskCategorySchema = z.enum(RISK_CATEGORIES);
export const RiskLevelSchema = z.enum(['low', 'medium', 'high']);
export const ConfidenceSchema = z.enum(['high', 'medium', 'low']);

/** Where a class came from: the tool's annotations, its name, its description, or the spec's defaults alone. */
export const RiskSourceSchema = z.enum(['annotations', 'name', 'description', 'default']);

/** What a tool does to the world, how much that matters, and why Airlock thinks so. */
export const RiskClassSchema = z.object({
  category: RiskCategorySchema,
  /** `openWorldHint: true`: the tool reaches beyond the server's own data (the web, other systems). */
  openWorld: z.boolean(),
  level: RiskLevelSchema,
  confidence: ConfidenceSchema,
  source: RiskSourceSchema,
  /** One sentence a person can check against the tool's definition. */
  reason: z.string(),
});

export type RiskCategory = z.infer<typeof RiskCategorySchema>;
export type RiskLevel = z.infer<typeof RiskLevelSchema>;
export type Confidence = z.infer<typeof ConfidenceSchema>;
export type RiskSource = z.infer<typeof RiskSourceSchema>;
export type RiskClass = z.infer<typeof RiskClassSchema>;

/** The parts of an MCP tool definition a class is drawn from. */
export const ClassifiedToolSchema = z.looseObject({
  name: z.string(),
  description: z.string().optional(),
  annotations: z
    .looseObject({
      readOnlyHint: z.boolean().optional(),
      destructiveHint: z.boolean().optional(),
      idempotentHint: z.boolean().optional(),
      openWorldHint: z.boolean().optional(),
    })
    .optional(),
});
export type ClassifiedTool = z.infer<typeof ClassifiedToolSchema>;

export const PROFILES = ['strict', 'balanced', 'permissive'] as const;
export const ProfileSchema = z.enum(PROFILES);
export type Profile = z.infer<typeof ProfileSchema>;
