import { api } from "./api";
import type { Conversation, Message, Page } from "./types";

const supportApi = api.injectEndpoints({
  endpoints: (b) => ({
    listConversations: b.query<Page<Conversation>, { page?: number; status?: string }>({
      query: ({ page = 1, status }) => ({ url: "/support/conversations", params: { page: String(page), per_page: "20", ...(status ? { status } : {}) } }),
      providesTags: [{ type: "Conversation", id: "LIST" }],
    }),
    getConversation: b.query<Conversation, string>({
      query: (id) => `/support/conversations/${id}`,
      providesTags: (_r, _e, id) => [{ type: "Conversation", id }],
    }),
    startConversation: b.mutation<Conversation, { subject: string; message: string }>({
      query: (body) => ({ url: "/support/conversations", method: "POST", body }),
      invalidatesTags: [{ type: "Conversation", id: "LIST" }],
    }),
    postMessage: b.mutation<Message, { id: string; text: string }>({
      query: ({ id, text }) => ({ url: `/support/conversations/${id}/messages`, method: "POST", body: { text } }),
      // The message arrives on the conversation's event stream too; the stream dedupes by id.
      async onQueryStarted({ id }, { dispatch, queryFulfilled }) {
        const { data } = await queryFulfilled.catch(() => ({ data: undefined }));
        if (data) dispatch(addMessage(id, data));
      },
    }),
    closeConversation: b.mutation<Conversation, string>({
      query: (id) => ({ url: `/support/conversations/${id}/close`, method: "POST", body: {} }),
      invalidatesTags: (_r, _e, id) => [{ type: "Conversation", id }, { type: "Conversation", id: "LIST" }],
    }),
  }),
});

/** addMessage puts a message into a cached conversation once, whichever way it arrived. */
export function addMessage(conversationId: string, m: Message) {
  return supportApi.util.updateQueryData("getConversation", conversationId, (c) => {
    if (!c.messages.some((x) => x.id === m.id)) c.messages.push(m);
  });
}

export const {
  useListConversationsQuery,
  useGetConversationQuery,
  useStartConversationMutation,
  usePostMessageMutation,
  useCloseConversationMutation,
} = supportApi;
