import { describe, expect, it } from "vitest";
import { engines } from "~/test/db";
import { useTestDatabase } from "~/test/fixtures";
import { DomainError } from "~/server/domain-error";
import { foldForMatching } from "./matching";
import { findOfferedSpecialty, getHospital, searchHospitals } from "./queries";

describe("foldForMatching", () => {
  it("drops case, accents and ligatures", () => {
    expect(foldForMatching("  Gastro-Entérologie ")).toBe("gastro-enterologie");
    expect(foldForMatching("Institut Cœur Poumon")).toBe("institut coeur poumon");
    expect(foldForMatching("ÉDOUARD")).toBe("edouard");
  });
});

describe.each(engines)("hospitals on %s", (engine) => {
  const test = useTestDatabase(engine);

  it("finds a city whatever its case and accents", async () => {
    const { hospitals } = await searchHospitals(test.db, { city: "paris", limit: 100 });
    expect(hospitals.length).toBeGreaterThan(5);
    expect(hospitals.every((hospital) => hospital.city === "Paris")).toBe(true);
  });

  it("finds a specialty typed without accents or capitals", async () => {
    const { hospitals } = await searchHospitals(test.db, { city: "PARIS", specialty: "cardiologie", limit: 100 });
    expect(hospitals.map((hospital) => hospital.id)).toContain("paris-pitie-salpetriere");
    expect(hospitals.every((hospital) => hospital.specialties.includes("Cardiologie"))).toBe(true);

    const pediatrics = await searchHospitals(test.db, { specialty: "pediatrie", limit: 100 });
    expect(pediatrics.hospitals.map((hospital) => hospital.id)).toContain("paris-necker");
  });

  it("matches words of the name, with ligatures and accents folded", async () => {
    const { hospitals } = await searchHospitals(test.db, { query: "coeur poumon" });
    expect(hospitals.map((hospital) => hospital.id)).toEqual(["lille-institut-coeur-poumon"]);
    const herriot = await searchHospitals(test.db, { query: "edouard herriot" });
    expect(herriot.hospitals.map((hospital) => hospital.id)).toEqual(["lyon-edouard-herriot"]);
  });

  it("takes LIKE wildcards literally", async () => {
    expect((await searchHospitals(test.db, { query: "%" })).hospitals).toEqual([]);
    expect((await searchHospitals(test.db, { query: "_" })).hospitals).toEqual([]);
  });

  it("pages through every hospital once, in name order", async () => {
    const everything = await searchHospitals(test.db, { limit: 100 });
    expect(everything.nextCursor).toBeNull();
    expect(everything.hospitals.length).toBe(52);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await searchHospitals(test.db, { limit: 7, cursor });
      expect(page.hospitals.length).toBeLessThanOrEqual(7);
      seen.push(...page.hospitals.map((hospital) => hospital.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(Math.ceil(52 / 7));
    expect(seen).toEqual(everything.hospitals.map((hospital) => hospital.id));
  });

  it("defaults to 20 a page", async () => {
    const page = await searchHospitals(test.db, {});
    expect(page.hospitals).toHaveLength(20);
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it("rejects a cursor it did not make", async () => {
    await expect(searchHospitals(test.db, { cursor: "not-a-cursor" })).rejects.toThrow(/cursor is not valid/);
    const forged = Buffer.from(JSON.stringify({ name: 1 })).toString("base64url");
    await expect(searchHospitals(test.db, { cursor: forged })).rejects.toBeInstanceOf(DomainError);
  });

  it("gets one hospital, with a null phone where unknown", async () => {
    const hospital = await getHospital(test.db, "paris-pitie-salpetriere");
    expect(hospital).toMatchObject({ name: "Hôpital de la Pitié-Salpêtrière (AP-HP)", city: "Paris", postalCode: "75013" });
    expect(findOfferedSpecialty(hospital, "CARDIOLOGIE")).toBe("Cardiologie");
    expect(findOfferedSpecialty(hospital, "Pédiatrie")).toBeNull();
    await expect(getHospital(test.db, "nowhere")).rejects.toMatchObject({ kind: "not_found" });
    expect((await getHospital(test.db, "lyon-edouard-herriot")).phone).toBeNull();
  });
});
