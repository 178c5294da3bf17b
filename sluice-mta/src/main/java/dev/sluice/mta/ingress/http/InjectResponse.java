package dev.sluice.mta.ingress.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The 200 answer of {@code /api/inject/v1}: {@code {"success_count":N,"fail_count":M,"failed_recipients":[...],
 * "errors":[...]}}. A recipient counts as a success only once its message is in the spool.
 */
public record InjectResponse(int successCount, int failCount, List<String> failedRecipients, List<String> errors) {

    public InjectResponse {
        failedRecipients = List.copyOf(failedRecipients);
        errors = List.copyOf(errors);
    }

    public String toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("success_count", successCount);
        out.put("fail_count", failCount);
        out.put("failed_recipients", failedRecipients);
        out.put("errors", errors);
        try {
            return InjectRequestParser.JSON.writeValueAsString(out);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
