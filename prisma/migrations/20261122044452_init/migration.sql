-- CreateTable
CREATE TABLE "sagaflow_instances" (
    "id" UUID NOT NULL,
    "saga_name" TEXT NOT NULL,
    "correlation_id" TEXT NOT NULL,
    "state" TEXT NOT NULL,
    "data" JSONB NOT NULL,
    "data_version" INTEGER NOT NULL DEFAULT 1,
    "version" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "compensation" JSONB NOT NULL DEFAULT '[]',
    "error" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "sagaflow_instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sagaflow_history" (
    "instance_id" UUID NOT NULL,
    "sequence" INTEGER NOT NULL,
    "message_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "state_before" TEXT,
    "state_after" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sagaflow_history_pkey" PRIMARY KEY ("instance_id","sequence")
);

-- CreateIndex
CREATE INDEX "sagaflow_instances_saga_name_state_idx" ON "sagaflow_instances"("saga_name", "state");

-- CreateIndex
CREATE INDEX "sagaflow_instances_updated_at_id_idx" ON "sagaflow_instances"("updated_at", "id");

-- CreateIndex
CREATE UNIQUE INDEX "sagaflow_instances_saga_name_correlation_id_key" ON "sagaflow_instances"("saga_name", "correlation_id");

-- AddForeignKey
ALTER TABLE "sagaflow_history" ADD CONSTRAINT "sagaflow_history_instance_id_fkey" FOREIGN KEY ("instance_id") REFERENCES "sagaflow_instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;
