-- Reference data: real French hospitals (CHU/AP-HP/HCL/AP-HM sites, cancer centres and well-known private/ESPIC hospitals).
-- Addresses and postal codes are the real street addresses; phone is the switchboard number and is NULL where not verified.
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('paris-pitie-salpetriere', 'Hôpital de la Pitié-Salpêtrière (AP-HP)', 'Paris', '47-83 boulevard de l''Hôpital', '75013', '01 42 16 00 00', ARRAY['Urgences','Cardiologie','Chirurgie cardiaque','Neurologie','Neurochirurgie','Hématologie','Médecine interne','Psychiatrie','Endocrinologie','Infectiologie']),
('paris-hegp', 'Hôpital Européen Georges-Pompidou (AP-HP)', 'Paris', '20 rue Leblanc', '75015', '01 56 09 20 00', ARRAY['Urgences','Cardiologie','Chirurgie cardiaque','Oncologie','Urologie','Gastro-entérologie','Médecine interne','Radiologie']),
('paris-necker', 'Hôpital Necker-Enfants malades (AP-HP)', 'Paris', '149 rue de Sèvres', '75015', '01 44 49 40 00', ARRAY['Pédiatrie','Urgences','Maternité','Néphrologie','Hématologie','Neurochirurgie','Chirurgie cardiaque','Dermatologie','Endocrinologie']),
('paris-saint-louis', 'Hôpital Saint-Louis (AP-HP)', 'Paris', '1 avenue Claude-Vellefaux', '75010', '01 42 49 49 49', ARRAY['Urgences','Hématologie','Oncologie','Dermatologie','Néphrologie','Urologie','Infectiologie']),
('paris-bichat', 'Hôpital Bichat-Claude-Bernard (AP-HP)', 'Paris', '46 rue Henri-Huchard', '75018', '01 40 25 80 80', ARRAY['Urgences','Cardiologie','Chirurgie cardiaque','Infectiologie','Pneumologie','Médecine interne']),
('paris-lariboisiere', 'Hôpital Lariboisière (AP-HP)', 'Paris', '2 rue Ambroise-Paré', '75010', '01 49 95 65 65', ARRAY['Urgences','Neurologie','Neurochirurgie','ORL','Ophtalmologie','Rhumatologie','Chirurgie orthopédique']),
('paris-cochin', 'Hôpital Cochin (AP-HP)', 'Paris', '27 rue du Faubourg-Saint-Jacques', '75014', '01 58 41 41 41', ARRAY['Urgences','Maternité','Rhumatologie','Gastro-entérologie','Endocrinologie','Médecine interne','Chirurgie orthopédique','Pneumologie']),
('paris-robert-debre', 'Hôpital Robert-Debré (AP-HP)', 'Paris', '48 boulevard Sérurier', '75019', '01 40 03 20 00', ARRAY['Pédiatrie','Urgences','Maternité','Neurologie','Endocrinologie','Psychiatrie']),
('paris-trousseau', 'Hôpital Armand-Trousseau (AP-HP)', 'Paris', '26 avenue du Docteur-Arnold-Netter', '75012', '01 44 73 74 75', ARRAY['Pédiatrie','Urgences','Maternité','ORL','Chirurgie orthopédique','Hématologie']),
('paris-tenon', 'Hôpital Tenon (AP-HP)', 'Paris', '4 rue de la Chine', '75020', '01 56 01 70 00', ARRAY['Urgences','Néphrologie','Urologie','Pneumologie','Oncologie','Maternité','Infectiologie']),
('paris-saint-antoine', 'Hôpital Saint-Antoine (AP-HP)', 'Paris', '184 rue du Faubourg-Saint-Antoine', '75012', '01 49 28 20 00', ARRAY['Urgences','Gastro-entérologie','Hématologie','Oncologie','Endocrinologie','Infectiologie']),
('paris-institut-curie', 'Institut Curie', 'Paris', '26 rue d''Ulm', '75005', '01 44 32 40 00', ARRAY['Oncologie','Radiologie','Ophtalmologie','Pédiatrie']),
('paris-fondation-rothschild', 'Hôpital Fondation Adolphe de Rothschild', 'Paris', '29 rue Manin', '75019', NULL, ARRAY['Ophtalmologie','Neurologie','Neurochirurgie','ORL','Radiologie']),
('paris-sainte-anne', 'GHU Paris psychiatrie & neurosciences – Hôpital Sainte-Anne', 'Paris', '1 rue Cabanis', '75014', '01 45 65 80 00', ARRAY['Psychiatrie','Neurologie','Neurochirurgie','Radiologie']),
('paris-saint-joseph', 'Groupe hospitalier Paris Saint-Joseph', 'Paris', '185 rue Raymond-Losserand', '75014', '01 44 12 33 33', ARRAY['Urgences','Cardiologie','Maternité','Gastro-entérologie','Urologie','Oncologie','Chirurgie orthopédique','Pneumologie']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('lyon-edouard-herriot', 'Hôpital Édouard-Herriot (HCL)', 'Lyon', '5 place d''Arsonval', '69003', NULL, ARRAY['Urgences','Néphrologie','Urologie','Gastro-entérologie','Endocrinologie','Chirurgie orthopédique','Dermatologie','Médecine interne']),
('lyon-croix-rousse', 'Hôpital de la Croix-Rousse (HCL)', 'Lyon', '103 grande rue de la Croix-Rousse', '69004', NULL, ARRAY['Urgences','Maternité','Infectiologie','Gastro-entérologie','Pneumologie','Chirurgie orthopédique']),
('lyon-leon-berard', 'Centre Léon Bérard', 'Lyon', '28 rue Laennec', '69008', '04 78 78 28 28', ARRAY['Oncologie','Hématologie','Pédiatrie','Radiologie']),
('lyon-saint-joseph-saint-luc', 'Hôpital Saint Joseph Saint Luc', 'Lyon', '20 quai Claude-Bernard', '69007', NULL, ARRAY['Urgences','Gastro-entérologie','Urologie','Oncologie']),
('lyon-jean-mermoz', 'Hôpital privé Jean Mermoz', 'Lyon', '55 avenue Jean-Mermoz', '69008', NULL, ARRAY['Urgences','Cardiologie','Chirurgie orthopédique','Urologie']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('bron-louis-pradel', 'Hôpital cardiologique Louis-Pradel (HCL)', 'Bron', '28 avenue du Doyen-Jean-Lépine', '69500', NULL, ARRAY['Cardiologie','Chirurgie cardiaque','Pneumologie']),
('bron-femme-mere-enfant', 'Hôpital Femme Mère Enfant (HCL)', 'Bron', '59 boulevard Pinel', '69500', NULL, ARRAY['Pédiatrie','Maternité','Urgences']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('marseille-timone', 'Hôpital de la Timone (AP-HM)', 'Marseille', '264 rue Saint-Pierre', '13005', '04 91 38 00 00', ARRAY['Urgences','Cardiologie','Chirurgie cardiaque','Neurologie','Neurochirurgie','Pédiatrie','Oncologie','Dermatologie']),
('marseille-hopital-nord', 'Hôpital Nord (AP-HM)', 'Marseille', 'chemin des Bourrely', '13015', '04 91 38 00 00', ARRAY['Urgences','Chirurgie orthopédique','Pneumologie','Gastro-entérologie','Maternité']),
('marseille-conception', 'Hôpital de la Conception (AP-HM)', 'Marseille', '147 boulevard Baille', '13005', '04 91 38 00 00', ARRAY['Urgences','Néphrologie','Maternité','Médecine interne']),
('marseille-sainte-marguerite', 'Hôpital Sainte-Marguerite (AP-HM)', 'Marseille', '270 boulevard de Sainte-Marguerite', '13009', '04 91 38 00 00', ARRAY['Gériatrie','Psychiatrie','Chirurgie orthopédique','Rhumatologie']),
('marseille-paoli-calmettes', 'Institut Paoli-Calmettes', 'Marseille', '232 boulevard de Sainte-Marguerite', '13009', '04 91 22 33 33', ARRAY['Oncologie','Hématologie','Radiologie']),
('marseille-saint-joseph', 'Hôpital Saint Joseph', 'Marseille', '26 boulevard de Louvain', '13008', NULL, ARRAY['Urgences','Maternité','Pédiatrie','Cardiologie','Chirurgie cardiaque','Pneumologie','Ophtalmologie','Gastro-entérologie','Chirurgie orthopédique']),
('marseille-hopital-europeen', 'Hôpital Européen Marseille', 'Marseille', '6 rue Désirée-Clary', '13003', NULL, ARRAY['Urgences','Cardiologie','Oncologie','Chirurgie orthopédique']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('toulouse-purpan', 'Hôpital Purpan (CHU de Toulouse)', 'Toulouse', 'place du Docteur-Baylac', '31300', '05 61 77 22 33', ARRAY['Urgences','Neurologie','Neurochirurgie','Infectiologie','Chirurgie orthopédique','ORL','Psychiatrie']),
('toulouse-rangueil', 'Hôpital Rangueil (CHU de Toulouse)', 'Toulouse', '1 avenue du Professeur-Jean-Poulhès', '31400', '05 61 77 22 33', ARRAY['Urgences','Cardiologie','Chirurgie cardiaque','Néphrologie','Urologie','Gastro-entérologie']),
('toulouse-hopital-des-enfants', 'Hôpital des Enfants (CHU de Toulouse)', 'Toulouse', '330 avenue de Grande-Bretagne', '31300', '05 61 77 22 33', ARRAY['Pédiatrie','Urgences','Chirurgie orthopédique']),
('toulouse-iuct-oncopole', 'Institut universitaire du cancer de Toulouse – Oncopole', 'Toulouse', '1 avenue Irène-Joliot-Curie', '31100', NULL, ARRAY['Oncologie','Hématologie','Radiologie']),
('toulouse-clinique-pasteur', 'Clinique Pasteur', 'Toulouse', '45 avenue de Lombez', '31300', NULL, ARRAY['Cardiologie','Chirurgie cardiaque','Oncologie','Radiologie']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('bordeaux-pellegrin', 'Hôpital Pellegrin (CHU de Bordeaux)', 'Bordeaux', 'place Amélie-Raba-Léon', '33000', '05 56 79 56 79', ARRAY['Urgences','Neurologie','Neurochirurgie','Pédiatrie','Maternité','Chirurgie orthopédique','Ophtalmologie']),
('bordeaux-saint-andre', 'Hôpital Saint-André (CHU de Bordeaux)', 'Bordeaux', '1 rue Jean-Burguet', '33000', '05 56 79 56 79', ARRAY['Médecine interne','Dermatologie','Oncologie']),
('bordeaux-polyclinique-nord', 'Polyclinique Bordeaux Nord Aquitaine', 'Bordeaux', '15 rue Claude-Boucher', '33300', NULL, ARRAY['Urgences','Cardiologie','Gastro-entérologie','Oncologie','Maternité']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('lille-roger-salengro', 'Hôpital Roger-Salengro (CHU de Lille)', 'Lille', 'rue du Professeur-Émile-Laine', '59000', '03 20 44 59 62', ARRAY['Urgences','Neurologie','Neurochirurgie','Psychiatrie','Chirurgie orthopédique']),
('lille-claude-huriez', 'Hôpital Claude-Huriez (CHU de Lille)', 'Lille', 'rue Michel-Polonovski', '59000', '03 20 44 59 62', ARRAY['Néphrologie','Urologie','Gastro-entérologie','Endocrinologie','Dermatologie','Hématologie','Rhumatologie']),
('lille-jeanne-de-flandre', 'Hôpital Jeanne de Flandre (CHU de Lille)', 'Lille', 'avenue Eugène-Avinée', '59000', '03 20 44 59 62', ARRAY['Maternité','Pédiatrie','Urgences']),
('lille-institut-coeur-poumon', 'Institut Cœur Poumon (CHU de Lille)', 'Lille', 'boulevard du Professeur-Jules-Leclercq', '59000', '03 20 44 59 62', ARRAY['Cardiologie','Chirurgie cardiaque','Pneumologie']),
('lille-oscar-lambret', 'Centre Oscar Lambret', 'Lille', '3 rue Frédéric-Combemale', '59000', NULL, ARRAY['Oncologie','Radiologie','Pédiatrie']),
('lille-saint-vincent-de-paul', 'Hôpital Saint-Vincent-de-Paul (GHICL)', 'Lille', 'boulevard de Belfort', '59000', NULL, ARRAY['Urgences','Maternité','Pédiatrie']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('nantes-hotel-dieu', 'Hôtel-Dieu (CHU de Nantes)', 'Nantes', '1 place Alexis-Ricordeau', '44000', '02 40 08 33 33', ARRAY['Urgences','Néphrologie','Urologie','Hématologie','Gastro-entérologie','Chirurgie orthopédique']),
('nantes-femme-enfant-adolescent', 'Hôpital Femme-Enfant-Adolescent (CHU de Nantes)', 'Nantes', '38 boulevard Jean-Monnet', '44000', '02 40 08 33 33', ARRAY['Pédiatrie','Maternité','Urgences']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('strasbourg-nouvel-hopital-civil', 'Nouvel Hôpital Civil (Hôpitaux universitaires de Strasbourg)', 'Strasbourg', '1 place de l''Hôpital', '67000', '03 88 11 67 68', ARRAY['Urgences','Cardiologie','Chirurgie cardiaque','Gastro-entérologie','Néphrologie','Urologie','Pneumologie','Médecine interne']),
('strasbourg-hautepierre', 'Hôpital de Hautepierre (Hôpitaux universitaires de Strasbourg)', 'Strasbourg', '1 avenue Molière', '67200', '03 88 11 67 68', ARRAY['Urgences','Pédiatrie','Maternité','Neurologie','Neurochirurgie','Chirurgie orthopédique']),
('strasbourg-icans', 'Institut de cancérologie Strasbourg Europe (ICANS)', 'Strasbourg', '17 rue Albert-Calmette', '67200', NULL, ARRAY['Oncologie','Hématologie','Radiologie']);
--> statement-breakpoint
INSERT INTO "hospitals" ("id", "name", "city", "address", "postal_code", "phone", "specialties") VALUES
('montpellier-lapeyronie', 'Hôpital Lapeyronie (CHU de Montpellier)', 'Montpellier', '371 avenue du Doyen-Gaston-Giraud', '34090', '04 67 33 67 33', ARRAY['Urgences','Chirurgie orthopédique','Rhumatologie','Urologie','Néphrologie']),
('montpellier-arnaud-de-villeneuve', 'Hôpital Arnaud de Villeneuve (CHU de Montpellier)', 'Montpellier', '371 avenue du Doyen-Gaston-Giraud', '34090', '04 67 33 67 33', ARRAY['Cardiologie','Chirurgie cardiaque','Pédiatrie','Maternité','Pneumologie']),
('montpellier-gui-de-chauliac', 'Hôpital Gui de Chauliac (CHU de Montpellier)', 'Montpellier', '80 avenue Augustin-Fliche', '34090', '04 67 33 67 33', ARRAY['Neurologie','Neurochirurgie','ORL','Ophtalmologie']),
('montpellier-saint-eloi', 'Hôpital Saint-Éloi (CHU de Montpellier)', 'Montpellier', '80 avenue Augustin-Fliche', '34090', '04 67 33 67 33', ARRAY['Gastro-entérologie','Hématologie','Médecine interne']);
