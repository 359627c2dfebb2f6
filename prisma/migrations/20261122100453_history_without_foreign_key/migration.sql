-- DropForeignKey
ALTER TABLE "sagaflow_history" DROP CONSTRAINT "sagaflow_history_instance_id_fkey";
