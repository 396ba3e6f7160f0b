-- First start of the compose PostgreSQL: the control-plane database and the NOAM regional database
-- (in production each region has its own managed PostgreSQL). The daemon applies the migrations.
CREATE DATABASE control;
CREATE DATABASE noam;
