-- AlterTable
ALTER TABLE "sagaflow_instances" ADD COLUMN     "schedules" JSONB NOT NULL DEFAULT '[]';
