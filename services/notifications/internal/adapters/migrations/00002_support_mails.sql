-- The staff's mails about customers' support messages: at most one per conversation per
-- window. A row is the conversation's latest mail (or the one being sent): the event that
-- claimed it, when the window began (the message's time), and whether it went out. The claim
-- is taken before sending, so two messages at once cannot both mail; a redelivered event
-- that claimed the row sends it if it has not gone out, and nothing if it has.

-- +goose Up
CREATE TABLE support_mails (
    conversation_id text PRIMARY KEY,
    -- From ConversationStarted (MessagePosted does not repeat it).
    subject         text NOT NULL DEFAULT '',
    event_id        uuid NOT NULL,
    window_start    timestamptz NOT NULL,
    mailed          boolean NOT NULL DEFAULT false
);

-- +goose Down
DROP TABLE support_mails;
