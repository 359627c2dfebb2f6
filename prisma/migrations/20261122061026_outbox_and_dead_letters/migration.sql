-- CreateTable
CREATE TABLE "sagaflow_outbox" (
    "id" UUID NOT NULL,
    "message_id" TEXT NOT NULL,
    "message_type" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "instance_id" UUID,
    "available_at" TIMESTAMPTZ(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sagaflow_outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sagaflow_dead_letters" (
    "id" UUID NOT NULL,
    "reason" TEXT NOT NULL,
    "error_code" TEXT NOT NULL,
    "error_message" TEXT NOT NULL,
    "envelope" JSONB NOT NULL,
    "message_id" TEXT,
    "message_type" TEXT,
    "saga_name" TEXT,
    "correlation_id" TEXT,
    "instance_id" UUID,
    "replays" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sagaflow_dead_letters_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sagaflow_outbox_available_at_id_idx" ON "sagaflow_outbox"("available_at", "id");

-- CreateIndex
CREATE INDEX "sagaflow_dead_letters_created_at_id_idx" ON "sagaflow_dead_letters"("created_at", "id");
