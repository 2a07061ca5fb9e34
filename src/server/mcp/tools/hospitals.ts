import { z } from "zod";
import { getHospital, hospitalIdSchema, searchHospitals, searchHospitalsShape, type Hospital } from "~/server/hospitals/queries";
import { READ_ONLY, defineScopedTool, type AnyScopedTool } from "../scoped-tools";

export const hospitalOutput = z.object({
  id: z.string().describe("Use as hospital_id in hospitals_get and bookings_create."),
  name: z.string(),
  city: z.string(),
  address: z.string(),
  postal_code: z.string(),
  phone: z.string().nullable(),
  specialties: z.array(z.string()).describe("Specialties offered, in French; book one of these."),
});

function toHospitalOutput(hospital: Hospital): z.input<typeof hospitalOutput> {
  return {
    id: hospital.id,
    name: hospital.name,
    city: hospital.city,
    address: hospital.address,
    postal_code: hospital.postalCode,
    phone: hospital.phone,
    specialties: hospital.specialties,
  };
}

export const hospitalTools: readonly AnyScopedTool[] = [
  defineScopedTool({
    name: "hospitals_search",
    scope: "read:data",
    title: "Search hospitals",
    description:
      "Finds French hospitals by city, by medical specialty (French names such as Cardiologie, Pédiatrie, " +
      "Urgences, Maternité, Gastro-entérologie) and/or by words of the name or address. Case and accents do " +
      "not matter ('paris', 'cardiologie'). Results are ordered by name, `limit` at a time (default 20); when " +
      "next_cursor is not null, call again with cursor set to it for the next page. Use it to find a " +
      "hospital_id and the specialties it offers before booking.",
    inputSchema: z.object(searchHospitalsShape),
    outputSchema: z.object({
      hospitals: z.array(hospitalOutput),
      next_cursor: z.string().nullable().describe("Pass as cursor to get the next page; null when there are no more."),
    }),
    annotations: READ_ONLY,
    async run(args, { db }) {
      const page = await searchHospitals(db, args);
      return { hospitals: page.hospitals.map(toHospitalOutput), next_cursor: page.nextCursor };
    },
    summarize(args, output) {
      // City and specialty, not the free-text query.
      const parts = [args.city && `city ${clip(args.city)}`, args.specialty && `specialty ${clip(args.specialty)}`, args.query && "by name or address"];
      const criteria = parts.filter(Boolean).join(", ") || "all hospitals";
      return output ? `${criteria}: ${output.hospitals.length} found` : criteria;
    },
  }),

  defineScopedTool({
    name: "hospitals_get",
    scope: "read:data",
    title: "Get a hospital",
    description:
      "Gives one hospital's details (name, address, postal code, phone, specialties offered) by its id, " +
      "e.g. 'paris-pitie-salpetriere'. Use it to check what a hospital offers before booking; find ids with hospitals_search.",
    inputSchema: z.object({ hospital_id: hospitalIdSchema.describe("The hospital's id, from hospitals_search.") }),
    outputSchema: z.object({ hospital: hospitalOutput }),
    annotations: READ_ONLY,
    async run(args, { db }) {
      return { hospital: toHospitalOutput(await getHospital(db, args.hospital_id)) };
    },
    summarize: (args, output) => output?.hospital.name ?? args.hospital_id,
  }),
];

/** A search word as the trail shows it: short, on one line. */
export function clip(text: string, max = 40): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
