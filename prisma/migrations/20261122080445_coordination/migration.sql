-- AlterTable
ALTER TABLE "sagaflow_history" ADD COLUMN     "sent" JSONB;

-- AlterTable
ALTER TABLE "sagaflow_instances" ADD COLUMN     "joins" JSONB;

-- CreateTable
CREATE TABLE "sagaflow_commands" (
    "id" TEXT NOT NULL,
    "command_type" TEXT NOT NULL,
    "target" TEXT,
    "correlation_id" TEXT,
    "envelope" JSONB NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "lease_until" TIMESTAMPTZ(3),
    "output" JSONB,
    "error" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "sagaflow_commands_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sagaflow_commands_status_lease_until_idx" ON "sagaflow_commands"("status", "lease_until");
